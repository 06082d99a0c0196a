// Attendance helpers for the pages: durations and outcomes in plain words, the columns of the
// tables, tab-separated copies of selected rows, and chart data. Pure: data in, data out.
import { clock, stamp } from './format';
import type { AttendanceRow, MatrixRow, Outcome, PersonHistory, PersonRef, RegistrationRow, SeriesAttendance, SessionStats } from '../api';

/** "1 h 05 min", "12 min", "45 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export function outcomeLabel(o: Outcome | null): string {
  return o === 'attended' ? 'Attended' : o === 'partial' ? 'Partly' : o === 'noShow' ? 'No-show' : '—';
}

export interface Column<T> {
  key: string;
  label: string;
  /** Sorted by the core (in SQL) under this key; absent: not sortable. */
  sort?: string;
  value: (row: T) => string;
  /** Shown unless the user hides it. */
  visible: boolean;
  width?: string;
}


export function attendanceColumns(questions: { id: string; text: string }[]): Column<AttendanceRow>[] {
  return [
    { key: 'name', label: 'Name', sort: 'name', value: (r) => r.name || '(no name)', visible: true, width: '12rem' },
    { key: 'email', label: 'E-mail', sort: 'email', value: (r) => r.email ?? '—', visible: true, width: '17rem' },
    { key: 'outcome', label: 'Outcome', sort: 'outcome', value: (r) => (r.registered || r.secondsPresent === 0 ? outcomeLabel(r.outcome) : `${outcomeLabel(r.outcome)} (not registered)`), visible: true, width: '13rem' },
    { key: 'time', label: 'Time present', sort: 'time', value: (r) => duration(r.secondsPresent), visible: true, width: '8rem' },
    { key: 'pct', label: '% of session', sort: 'pct', value: (r) => `${r.pct.toFixed(0)} %`, visible: true, width: '8rem' },
    { key: 'firstJoin', label: 'First join', sort: 'firstJoin', value: (r) => clock(r.firstJoin), visible: true, width: '7rem' },
    { key: 'lastLeave', label: 'Last leave', sort: 'lastLeave', value: (r) => clock(r.lastLeave), visible: true, width: '7rem' },
    { key: 'rejoins', label: 'Rejoins', sort: 'rejoins', value: (r) => String(r.rejoins), visible: false, width: '6rem' },
    { key: 'late', label: 'Late (min)', sort: 'late', value: (r) => String(r.lateMinutes), visible: false, width: '7rem' },
    { key: 'early', label: 'Left early (min)', sort: 'early', value: (r) => String(r.earlyLeaveMinutes), visible: false, width: '9rem' },
    ...questions.map((q) => ({ key: `q:${q.id}`, label: q.text, value: (r: AttendanceRow) => r.answers[q.id] ?? '', visible: false, width: '10rem' })),
  ];
}

export function registrationColumns(questions: { id: string; text: string }[]): Column<RegistrationRow>[] {
  return [
    { key: 'name', label: 'Name', sort: 'name', value: (r) => r.name || '(no name)', visible: true, width: '14rem' },
    { key: 'email', label: 'E-mail', sort: 'email', value: (r) => r.email ?? '—', visible: true, width: '16rem' },
    { key: 'status', label: 'Status', sort: 'status', value: (r) => statusLabel(r.status), visible: true, width: '9rem' },
    { key: 'registeredAt', label: 'Registered', sort: 'registeredAt', value: (r) => stamp(r.registeredAt), visible: true, width: '11rem' },
    ...questions.map((q) => ({ key: `q:${q.id}`, label: q.text, value: (r: RegistrationRow) => r.answers[q.id] ?? '', visible: true, width: '10rem' })),
  ];
}

export function statusLabel(s: string): string {
  switch (s) {
    case 'registered':
      return 'Registered';
    case 'canceled':
      return 'Canceled';
    case 'waitlisted':
      return 'Waitlisted';
    case 'pendingApproval':
      return 'Awaiting approval';
    case 'rejectedByOrganizer':
      return 'Declined';
    default:
      return s;
  }
}

/** Selected rows as tab-separated text with a header, for pasting into a spreadsheet. */
export function asTsv<T>(columns: Column<T>[], rows: T[]): string {
  const clean = (v: string) => v.replace(/[\t\r\n]+/g, ' ');
  const head = columns.map((c) => clean(c.label)).join('\t');
  return [head, ...rows.map((r) => columns.map((c) => clean(c.value(r))).join('\t'))].join('\n');
}

/** The presence curve as chart points: minutes since the first point, people present. */
export function presencePoints(stats: SessionStats): { labels: string[]; values: number[] } {
  const labels = stats.presence.map(([t]) => clock(t));
  return { labels, values: stats.presence.map(([, n]) => n) };
}

/** Outcome counts per session of a series, for stacked bars. */
export function outcomeBars(a: SeriesAttendance): { labels: string[]; attended: number[]; partial: number[]; noShow: number[] } {
  return {
    labels: a.sessions.map((s) => `Session ${s.n}`),
    attended: a.sessions.map((s) => s.stats?.attended ?? 0),
    partial: a.sessions.map((s) => s.stats?.partial ?? 0),
    noShow: a.sessions.map((s) => s.stats?.noShows ?? 0),
  };
}

/** Whom a table row is about, for the person drawer: by e-mail when known (then across every
 * webinar), else within the one session the row belongs to. */
export function personOfAttendance(row: AttendanceRow, webinarId: string): PersonRef {
  return row.email ? { by: 'email', email: row.email } : { by: 'inSession', webinarId, personKey: row.key };
}

export function personOfRegistration(row: RegistrationRow, webinarId: string): PersonRef {
  return row.email ? { by: 'email', email: row.email } : { by: 'inSession', webinarId, personKey: `registration:${row.id}` };
}

/** A matrix row's person; someone without an e-mail is in exactly one session. */
export function personOfMatrixRow(row: MatrixRow, sessions: { webinarId: string }[]): PersonRef | null {
  if (row.email) return { by: 'email', email: row.email };
  const session = sessions[row.cells.findIndex((c) => c !== null)];
  return row.sessionKey && session ? { by: 'inSession', webinarId: session.webinarId, personKey: row.sessionKey } : null;
}

/** One line about a person's history: "Registered for 4, attended 2, partly 1, no-show 1 — 2 h 05 min in all". */
export function personSummary(h: PersonHistory): string {
  const registered = h.webinars.filter((w) => w.registration && w.registration.status !== 'canceled').length;
  const count = (o: Outcome) => h.webinars.filter((w) => w.attendance?.outcome === o).length;
  const seconds = h.webinars.reduce((sum, w) => sum + (w.attendance?.secondsPresent ?? 0), 0);
  const parts = [`Registered for ${registered} webinar${registered === 1 ? '' : 's'}`, `attended ${count('attended')}`];
  if (count('partial')) parts.push(`partly ${count('partial')}`);
  if (count('noShow')) parts.push(`no-show ${count('noShow')}`);
  return `${parts.join(', ')} — ${duration(seconds)} in all`;
}
