import { describe, expect, it } from 'vitest';
import type { AttendanceRow, PersonHistory, SeriesAttendance } from '../api';
import { asTsv, attendanceColumns, duration, outcomeBars, personOfAttendance, personOfMatrixRow, personSummary } from './attendance';

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

  it('finds a person by e-mail across webinars, and without one only in their session', () => {
    expect(personOfAttendance(row, 'w1')).toEqual({ by: 'email', email: 'ann@x.com' });
    expect(personOfAttendance({ ...row, email: null, key: 'anonymous:Caller' }, 'w1')).toEqual({ by: 'inSession', webinarId: 'w1', personKey: 'anonymous:Caller' });
    const sessions = [{ webinarId: 'w1' }, { webinarId: 'w2' }];
    const caller = { person: '2/anonymous:Caller', email: null, sessionKey: 'anonymous:Caller', name: 'Caller', cells: [null, 'attended' as const], attended: 1, complete: false };
    expect(personOfMatrixRow(caller, sessions)).toEqual({ by: 'inSession', webinarId: 'w2', personKey: 'anonymous:Caller' });
    expect(personOfMatrixRow({ ...caller, sessionKey: null }, sessions)).toBeNull();
  });

  it('sums up a person across webinars in one line', () => {
    const at = (outcome: 'attended' | 'partial' | 'noShow', secondsPresent: number) => ({ ...row, outcome, secondsPresent });
    const reg = (status: string) => ({ id: 'r', name: 'Ann Lee', email: 'ann@x.com', status, registeredAt: null, canceledAt: null, answers: {} });
    const w = { webinarId: 'w', title: 'T', start: null, seriesId: null, seriesTitle: null, session: null, questions: [] };
    const h: PersonHistory = {
      name: 'Ann Lee', email: 'ann@x.com', webinars: [
        { ...w, registration: reg('registered'), attendance: at('attended', 3600) },
        { ...w, registration: reg('registered'), attendance: at('noShow', 0) },
        { ...w, registration: reg('canceled'), attendance: null },
        { ...w, registration: null, attendance: at('partial', 1500) },
      ],
    };
    expect(personSummary(h)).toBe('Registered for 2 webinars, attended 1, partly 1, no-show 1 — 1 h 25 min in all');
  });
});
