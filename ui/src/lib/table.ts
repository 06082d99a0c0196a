// Searching, filtering and sorting the webinar list: pure functions, tested on their own.
import type { Webinar } from '../api';
import { phase } from './format';

export type SortKey = 'title' | 'role' | 'status' | 'start';
export type Direction = 'ascending' | 'descending';
export type PhaseFilter = 'all' | 'upcoming' | 'past';

export interface View {
  query: string;
  phase: PhaseFilter;
  sort: SortKey;
  direction: Direction;
}

function matches(w: Webinar, query: string): boolean {
  if (!query.trim()) return true;
  const haystack = [w.title, w.description, w.organizerName ?? '', ...w.coOrganizers, w.status].join(' ').toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((term) => haystack.includes(term));
}

function compare(a: Webinar, b: Webinar, key: SortKey): number {
  switch (key) {
    case 'start':
      return (a.start ?? '9999').localeCompare(b.start ?? '9999');
    case 'title':
      return a.title.localeCompare(b.title, undefined, { sensitivity: 'base', numeric: true });
    default:
      return a[key].localeCompare(b[key]);
  }
}

export function visible(webinars: Webinar[], view: View, now: Date = new Date()): Webinar[] {
  const rows = webinars.filter((w) => {
    if (!matches(w, view.query)) return false;
    if (view.phase === 'all') return true;
    const p = phase(w.start, w.end, now);
    return view.phase === 'upcoming' ? p === 'upcoming' || p === 'live' : p === 'past';
  });
  const sign = view.direction === 'ascending' ? 1 : -1;
  // Ties fall back to start time, then id, so the order never jumps between renders.
  return rows.sort(
    (a, b) => sign * compare(a, b, view.sort) || compare(a, b, 'start') || a.id.localeCompare(b.id),
  );
}

export function toggle(view: View, key: SortKey): View {
  if (view.sort === key) {
    return { ...view, direction: view.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  return { ...view, sort: key, direction: 'ascending' };
}
