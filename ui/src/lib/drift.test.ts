import { describe, expect, it } from 'vitest';
import type { DriftStatus } from '../api';
import { canReapply, driftBadge, seriesBadge, shown } from './drift';

const status = (kind: DriftStatus['finding'] extends infer F ? (F extends { kind: infer K } ? K : never) : never, failed = false): DriftStatus => ({
  webinarId: 'w', title: 'T', seriesId: 's1', finding: { kind, fields: [] }, checkedAt: '2027-03-02T10:00:00Z',
  failure: failed ? { at: '2027-03-02T10:05:00Z', message: 'Teams did not answer', requestId: 'r1' } : null, fresh: true,
});

describe('drift helpers', () => {
  it('badges what the organizer has to decide, and a failed check, never a silent in-sync', () => {
    expect(driftBadge(status('inSync'))).toBeNull();
    expect(driftBadge(status('changedInTeams'))?.label).toBe('Changed in Teams');
    expect(driftBadge(status('missingInTeams'))?.tone).toBe('bad');
    expect(driftBadge(status('inSync', true))?.label).toBe('Check failed');
    expect(driftBadge(status('changedInTeams', true))?.label, 'the finding stays').toBe('Changed in Teams');
  });

  it('reads values plainly', () => {
    expect(shown('start', '2027-03-02T13:00:00+00:00', 'Europe/Berlin')).toMatch(/14:00|02:00\sPM/);
    expect(shown('description', '<p>New   agenda</p>')).toBe('New agenda');
    expect(shown('attendeeEmails', 'false')).toBe('off');
    expect(shown('title', null)).toBe('—');
  });

  it('offers re-applying ours only where there is an ours', () => {
    const f = { field: 'title', baseline: 'A', teams: 'B', plain: '' };
    expect(canReapply('changedInTeams', [{ ...f, ours: 'A' }])).toBe(true);
    expect(canReapply('changedInTeams', [{ ...f, ours: null }])).toBe(false);
    expect(canReapply('canceledInTeams', [{ ...f, ours: 'A' }])).toBe(false);
  });

  it('gives a series the badge of its most serious session', () => {
    const all = [status('changedInTeams'), status('missingInTeams'), { ...status('canceledInTeams'), seriesId: 'other' }];
    expect(seriesBadge('s1', all)).toEqual({ label: 'Missing in Teams (2 sessions)', tone: 'bad' });
    expect(seriesBadge('other', all)?.label).toBe('Canceled in Teams');
    expect(seriesBadge('none', all)).toBeNull();
  });
});
