import { describe, expect, it } from 'vitest';
import type { SeriesDetail } from '../api';
import { blankPlan, nextSession, problemsByField, publishProgress, searchZones, sessionStep, stateLabel } from './series';

const session = (n: number, date: string) => ({ n, titleSuffix: `Session ${n}`, date, start: '10:00', durationMinutes: 60, canceled: false });

describe('series helpers', () => {
  it('counts publish steps per live session', () => {
    const detail: SeriesDetail = {
      plan: { ...blankPlan('Europe/Berlin'), sessions: [session(1, '2027-01-05'), session(2, '2027-01-12'), { ...session(3, '2027-01-19'), canceled: true }] },
      state: 'publishing',
      sessions: [
        { n: 1, webinarId: 'a', created: true, tagged: true, published: false, canceledInTeams: false, pendingChanges: false },
        { n: 2, webinarId: 'b', created: true, tagged: false, published: false, canceledInTeams: false, pendingChanges: false },
      ],
      remaining: [],
      journal: [],
    };
    expect(publishProgress(detail)).toEqual({ done: 3, total: 6 });
    const first = detail.sessions[0]!;
    expect(sessionStep(first)).toBe('Created and tagged');
    expect(sessionStep(undefined)).toBe('Not in Teams');
    expect(sessionStep({ ...first, published: true, pendingChanges: true })).toBe('Published — changes not pushed');
  });

  it('adds the next session a week later with a fresh number', () => {
    const next = nextSession([session(1, '2027-01-05'), session(4, '2027-01-12')], new Date(2027, 0, 1), 6);
    expect(next).toMatchObject({ n: 7, date: '2027-01-19', start: '10:00', titleSuffix: 'Session 7' });
    expect(nextSession([], new Date(2027, 0, 1))).toMatchObject({ n: 1, date: '2027-01-02', start: '14:00' });
  });

  it('groups problems by field and labels every state', () => {
    expect(problemsByField([{ field: 'title', message: 'A.' }, { field: 'title', message: 'B.' }])).toEqual({ title: 'A. B.' });
    expect(stateLabel('partiallyRolledBack')).toBe('Failed — partly rolled back');
  });

  it('finds zones by city, IANA or Windows name', () => {
    const zones = [
      { iana: 'America/New_York', windows: 'Eastern Standard Time' },
      { iana: 'Europe/Berlin', windows: 'W. Europe Standard Time' },
    ];
    expect(searchZones(zones, 'new york').map((z) => z.iana)).toEqual(['America/New_York']);
    expect(searchZones(zones, 'w. europe').map((z) => z.iana)).toEqual(['Europe/Berlin']);
    expect(searchZones(zones, '')).toHaveLength(2);
  });
});
