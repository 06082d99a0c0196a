import { describe, expect, it } from 'vitest';
import type { Webinar } from '../api';
import { toggle, visible, type View } from './table';

function webinar(id: string, title: string, start: string, extra: Partial<Webinar> = {}): Webinar {
  const end = new Date(new Date(start).getTime() + 3600_000).toISOString();
  return {
    id, title, description: '', start, end, timeZone: 'UTC', status: 'published', audience: 'organization',
    role: 'organizer', organizerName: 'Megan Bowen', coOrganizers: [], listed: true, lastSyncedAt: start, ...extra,
  };
}

const now = new Date('2026-05-01T12:00:00Z');
const list = [
  webinar('a', 'Security Awareness 2', '2026-06-01T10:00:00Z'),
  webinar('b', 'Security Awareness 10', '2026-04-01T10:00:00Z', { coOrganizers: ['Adele Vance'], role: 'coOrganizer' }),
  webinar('c', 'Onboarding', '2026-05-10T10:00:00Z', { status: 'draft' }),
];
const base: View = { query: '', phase: 'all', sort: 'start', direction: 'ascending' };

describe('the webinar table', () => {
  it('sorts by start by default and reverses on a second click', () => {
    expect(visible(list, base, now).map((w) => w.id)).toEqual(['b', 'c', 'a']);
    const desc = toggle(base, 'start');
    expect(desc.direction).toBe('descending');
    expect(visible(list, desc, now).map((w) => w.id)).toEqual(['a', 'c', 'b']);
  });

  it('sorts titles naturally (2 before 10)', () => {
    const byTitle = toggle(base, 'title');
    expect(visible(list, byTitle, now).map((w) => w.title)).toEqual(['Onboarding', 'Security Awareness 2', 'Security Awareness 10']);
  });

  it('searches every word across title, people and status', () => {
    expect(visible(list, { ...base, query: 'security adele' }, now).map((w) => w.id)).toEqual(['b']);
    expect(visible(list, { ...base, query: 'DRAFT' }, now).map((w) => w.id)).toEqual(['c']);
  });

  it('filters upcoming and past', () => {
    expect(visible(list, { ...base, phase: 'upcoming' }, now).map((w) => w.id)).toEqual(['c', 'a']);
    expect(visible(list, { ...base, phase: 'past' }, now).map((w) => w.id)).toEqual(['b']);
  });
});
