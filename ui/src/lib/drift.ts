// Drift in plain words for the pages: badges, the field names of the difference table, and
// how values read. Pure: data in, data out.
import type { DriftKind, DriftStatus, FieldDiff } from '../api';

/** The badge a webinar gets, or null when there is nothing to say. */
export function driftBadge(s: DriftStatus | undefined): { label: string; tone: 'bad' | 'warn' | 'info' } | null {
  if (!s) return null;
  const kind = s.finding?.kind;
  if (kind === 'changedInTeams') return { label: 'Changed in Teams', tone: 'warn' };
  if (kind === 'canceledInTeams') return { label: 'Canceled in Teams', tone: 'bad' };
  if (kind === 'missingInTeams') return { label: 'Missing in Teams', tone: 'bad' };
  if (kind === 'localEdits') return { label: 'Changes not sent', tone: 'info' };
  if (s.failure) return { label: 'Check failed', tone: 'warn' };
  return null;
}

export function kindLabel(kind: DriftKind): string {
  switch (kind) {
    case 'inSync': return 'Same as in Teams';
    case 'changedInTeams': return 'Changed directly in Teams';
    case 'canceledInTeams': return 'Canceled directly in Teams';
    case 'missingInTeams': return 'No longer in Teams';
    case 'localEdits': return 'Changed here, not sent to Teams yet';
  }
}

const FIELDS: Record<string, string> = {
  title: 'Title', description: 'Description', start: 'Start', end: 'End', status: 'Status', audience: 'Audience',
  coOrganizers: 'Co-organizers', attendeeEmails: 'E-mails to attendees', capacity: 'Capacity',
  manualApproval: 'Manual approval', waitlist: 'Waitlist', questions: 'Registration questions',
};

export function fieldLabel(field: string): string {
  return FIELDS[field] ?? field;
}

/** A value as a person reads it: times in the given zone, descriptions as text, booleans as on/off. */
export function shown(field: string, value: string | null, timeZone?: string): string {
  if (value === null) return '—';
  if ((field === 'start' || field === 'end') && value) {
    const t = new Date(value);
    if (!Number.isNaN(t.getTime())) {
      return t.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone });
    }
  }
  if (field === 'description') return value.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() || '(empty)';
  if (value === 'true') return 'on';
  if (value === 'false') return 'off';
  return value || '—';
}

/** Whether re-applying ours can work: only where a version of ours exists and Teams still has the webinar. */
export function canReapply(kind: DriftKind, fields: FieldDiff[]): boolean {
  return kind === 'changedInTeams' && fields.some((f) => f.ours !== null);
}

/** A series' badge: its most serious session's, with how many sessions need a look. */
export function seriesBadge(seriesId: string, statuses: DriftStatus[]): { label: string; tone: 'bad' | 'warn' | 'info' } | null {
  const badges = statuses.filter((s) => s.seriesId === seriesId).map(driftBadge).filter((b) => b !== null);
  if (badges.length === 0) return null;
  const order = { bad: 0, warn: 1, info: 2 } as const;
  const worst = badges.reduce((a, b) => (order[b.tone] < order[a.tone] ? b : a));
  return badges.length === 1 ? worst : { label: `${worst.label} (${badges.length} sessions)`, tone: worst.tone };
}
