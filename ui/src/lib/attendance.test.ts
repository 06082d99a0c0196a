import { describe, expect, it } from 'vitest';
import type { AttendanceRow, SeriesAttendance } from '../api';
import { asTsv, attendanceColumns, duration, outcomeBars } from './attendance';

const row: AttendanceRow = {
  key: 'registration:r1', name: 'Ann\tLee', email: 'ann@x.com', registered: true, secondsPresent: 3900, pct: 91.7,
  firstJoin: '2027-03-02T10:00:00Z', lastLeave: '2027-03-02T11:05:00Z', rejoins: 1, lateMinutes: 0, earlyLeaveMinutes: 0,
  outcome: 'attended', answers: { q1: 'Sales' },
};

describe('attendance helpers', () => {
  it('says durations plainly', () => {
    expect(duration(45)).toBe('45 s');
    expect(duration(12 * 60)).toBe('12 min');
    expect(duration(3900)).toBe('1 h 05 min');
  });

  it('copies rows as tab-separated text with answers as columns, tabs made safe', () => {
    const columns = attendanceColumns([{ id: 'q1', text: 'Team' }]).filter((c) => ['name', 'outcome', 'q:q1'].includes(c.key));
    expect(asTsv(columns, [row])).toBe('Name\tOutcome\tTeam\nAnn Lee\tAttended\tSales');
  });

  it('marks present people who did not register', () => {
    const outcome = attendanceColumns([]).find((c) => c.key === 'outcome')!;
    expect(outcome.value({ ...row, registered: false, outcome: 'partial' })).toBe('Partly (not registered)');
  });

  it('stacks outcomes per session, zero where not synced', () => {
    const a: SeriesAttendance = {
      sessions: [
        { n: 1, webinarId: 'w1', stats: { scheduledStart: null, scheduledEnd: null, registered: 5, attended: 3, partial: 1, noShows: 1, unregistered: 0, averageSeconds: 0, peakConcurrent: 4, presence: [], reportCount: 1, registrationsSource: 'beta', computedAt: '' } },
        { n: 2, webinarId: 'w2', stats: null },
      ],
      rows: [], attendedPct: 80, completionPct: 75,
    };
    expect(outcomeBars(a)).toEqual({ labels: ['Session 1', 'Session 2'], attended: [3, 0], partial: [1, 0], noShow: [1, 0] });
  });
});
