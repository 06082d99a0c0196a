// Plain-language formatting of times, ages and statuses, in the user's locale and time zone.

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
// What `Date.toLocaleString()` shows, without building a formatter on every call (the web
// view takes about a millisecond each time; a table page formats hundreds of cells).
const numeric = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** The computer's time zone (IANA name): every time shown without a zone of its own is in it. */
export const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Names the zone that a page's times are in, so a reader abroad or on a shared screen knows. */
export function zoneNote(zone: string = localZone): string {
  return `Times are in your time zone (${zone.replaceAll('_', ' ')}).`;
}

/** "14:05" in local time; "—" when unknown. */
export function clock(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : timeOnly.format(d);
}

/** "3/3/2026, 2:05:00 PM" (the locale's numeric date and time); "—" when unknown. */
export function stamp(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : numeric.format(d);
}

/** "Tue, 3 Mar 2026, 14:00" in local time; "—" when unknown. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

/** Start and end on one line, the end as a time only when on the same day. */
export function span(start: string | null, end: string | null): string {
  if (!start) return '—';
  const s = new Date(start);
  if (!end) return dateTime.format(s);
  const e = new Date(end);
  return s.toDateString() === e.toDateString()
    ? `${dateTime.format(s)} – ${timeOnly.format(e)}`
    : `${dateTime.format(s)} – ${dateTime.format(e)}`;
}

/** "just now", "4 minutes ago", "3 hours ago", "2 days ago". */
export function age(iso: string | null, now: Date = new Date()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

export function roleLabel(role: string): string {
  return role === 'organizer' ? 'Organizer' : role === 'coOrganizer' ? 'Co-organizer' : role;
}

export function statusLabel(status: string): string {
  switch (status) {
    case 'draft':
      return 'Draft';
    case 'published':
      return 'Published';
    case 'canceled':
      return 'Canceled';
    default:
      return status;
  }
}

/** Past, running or upcoming relative to now. */
export function phase(start: string | null, end: string | null, now: Date = new Date()): 'past' | 'live' | 'upcoming' | 'unknown' {
  if (!start || !end) return 'unknown';
  const s = new Date(start).getTime();
  const e = new Date(end).getTime();
  const t = now.getTime();
  return t < s ? 'upcoming' : t > e ? 'past' : 'live';
}
