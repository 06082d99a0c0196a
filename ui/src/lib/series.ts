// Series helpers for the pages: plain-language states, publish progress from session states,
// blank plans, and problems grouped by form field. Pure: data in, data out.
import type { FieldProblem, PlannedSession, SeriesDetail, SeriesPlan, SeriesState, SessionState } from '../api';

export function stateLabel(state: SeriesState): string {
  switch (state) {
    case 'planned':
      return 'Planned (not in Teams)';
    case 'publishing':
      return 'Publishing…';
    case 'published':
      return 'Published';
    case 'rollingBack':
      return 'Undoing a failed publish…';
    case 'rolledBack':
      return 'Failed — rolled back';
    case 'partiallyRolledBack':
      return 'Failed — partly rolled back';
    case 'updating':
      return 'Pushing changes…';
    case 'canceled':
      return 'Canceled';
  }
}

/** Whether the series (or some of it) is in Teams, so changes go through an edit. */
export function inTeams(state: SeriesState): boolean {
  return state === 'published' || state === 'updating' || state === 'canceled';
}

/** One session's place in a publish: the step it reached. */
export function sessionStep(s: SessionState | undefined): string {
  if (!s) return 'Not in Teams';
  if (s.canceledInTeams) return 'Canceled in Teams';
  if (s.published) return s.pendingChanges ? 'Published — changes not pushed' : 'Published';
  if (s.tagged) return 'Created and tagged';
  if (s.created) return 'Created as draft';
  return 'Not in Teams';
}

/** Steps done out of all (create, tag, publish for every session) while publishing. */
export function publishProgress(detail: SeriesDetail): { done: number; total: number } {
  const live = detail.plan.sessions.filter((s) => !s.canceled);
  let done = 0;
  for (const planned of live) {
    const s = detail.sessions.find((x) => x.n === planned.n);
    if (!s || s.canceledInTeams) continue;
    done += (s.created ? 1 : 0) + (s.tagged ? 1 : 0) + (s.published ? 1 : 0);
  }
  return { done, total: live.length * 3 };
}

/** Problems keyed by field ("title", "sessions[2].start"), each field's messages joined. */
export function problemsByField(problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] = out[p.field] ? `${out[p.field]} ${p.message}` : p.message;
  return out;
}

/** The number the next added session gets: never one used before, even if removed. */
export function nextN(sessions: PlannedSession[], removedMax = 0): number {
  return Math.max(removedMax, 0, ...sessions.map((s) => s.n)) + 1;
}

/** A session a week after the last one (or tomorrow at 14:00 for the first). */
export function nextSession(sessions: PlannedSession[], today: Date, removedMax = 0): PlannedSession {
  const n = nextN(sessions, removedMax);
  const last = [...sessions].filter((s) => !s.canceled).sort((a, b) => a.date.localeCompare(b.date)).at(-1);
  if (last) {
    const d = new Date(`${last.date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 7);
    return { ...last, n, titleSuffix: `Session ${n}`, date: d.toISOString().slice(0, 10), canceled: false };
  }
  const d = new Date(today);
  d.setDate(d.getDate() + 1);
  const iso = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return { n, titleSuffix: `Session ${n}`, date: iso, start: '14:00', durationMinutes: 60, canceled: false };
}

export function blankPlan(timeZone: string): SeriesPlan {
  return {
    id: '',
    title: '',
    descriptionHtml: '',
    audience: 'organization',
    coOrganizers: [],
    timeZone,
    attendeeEmails: true,
    sessions: [],
    questions: [],
    registration: { capacity: null, manualApproval: false, waitlist: false },
  };
}

/** Teams' predefined registration questions, with plain names. */
export const PREDEFINED_QUESTIONS: [string, string][] = [
  ['jobTitle', 'Job title'],
  ['organization', 'Organization'],
  ['industry', 'Industry'],
  ['city', 'City'],
  ['state', 'State or province'],
  ['countryOrRegion', 'Country or region'],
  ['postalCode', 'Postal code'],
  ['street', 'Street'],
];

/** The zones matching a search: by IANA name, city, or Windows name, at most `limit`. */
export function searchZones<T extends { iana: string; windows: string }>(zones: T[], query: string, limit = 50): T[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, '_');
  if (!q) return zones.slice(0, limit);
  const words = query.trim().toLowerCase();
  return zones
    .filter((z) => z.iana.toLowerCase().includes(q) || z.windows.toLowerCase().includes(words))
    .slice(0, limit);
}
