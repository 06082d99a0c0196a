// The only module that talks to the Rust side. Every call returns typed data or throws an
// AppError whose `kind` the UI branches on.
import { Channel, invoke } from '@tauri-apps/api/core';

export type ErrorKind =
  | 'notConfigured'
  | 'invalidConfig'
  | 'signInRequired'
  | 'signInFailed'
  | 'signInCanceled'
  | 'offline'
  | 'permissionDenied'
  | 'notFound'
  | 'throttled'
  | 'licensing'
  | 'outcomeUnknown'
  | 'invalidSeries'
  | 'drifted'
  | 'graph'
  | 'companion'
  | 'keychain'
  | 'storage'
  | 'update'
  | 'internal';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface AppErrorShape {
  kind: ErrorKind;
  message: string;
  correlationId: string | null;
  requestId: string | null;
  retryAfterSecs: number | null;
  fields: FieldProblem[];
}

export class AppError extends Error implements AppErrorShape {
  kind: ErrorKind;
  correlationId: string | null;
  requestId: string | null;
  retryAfterSecs: number | null;
  fields: FieldProblem[];

  constructor(shape: AppErrorShape) {
    super(shape.message);
    this.name = 'AppError';
    this.kind = shape.kind;
    this.correlationId = shape.correlationId;
    this.requestId = shape.requestId;
    this.retryAfterSecs = shape.retryAfterSecs;
    this.fields = shape.fields ?? [];
  }
}

export type ConnectionState = 'signedOut' | 'connecting' | 'online' | 'offline' | 'needsSignIn';

export interface Status {
  profile: 'demo' | 'configured';
  configured: boolean;
  account: { displayName: string; username: string; tenantId: string } | null;
  connection: { state: ConnectionState; reason: string | null };
  keychainWarning: string | null;
}

export interface Webinar {
  id: string;
  title: string;
  description: string;
  start: string | null;
  end: string | null;
  timeZone: string;
  status: string;
  audience: string | null;
  role: 'organizer' | 'coOrganizer';
  organizerName: string | null;
  coOrganizers: string[];
  listed: boolean;
  lastSyncedAt: string;
}

export interface WebinarList {
  webinars: Webinar[];
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
}

export interface SyncReport {
  webinars: number;
  unlisted: number;
  warnings: string[];
  finishedAt: string;
}

export interface Settings {
  tenantId: string;
  clientId: string;
  companionUrl: string;
  companionScope: string;
  authorityUrl: string | null;
  graphUrl: string | null;
  /** The fields IT pushed (settings names: tenant_id, …), shown as set by the organization. */
  managed?: string[];
}

export interface PlannedSession {
  n: number;
  titleSuffix: string;
  /** YYYY-MM-DD in the series' zone. */
  date: string;
  /** HH:MM in the series' zone. */
  start: string;
  durationMinutes: number;
  canceled: boolean;
  /** The session's own description (grouped from Teams); null: the series'. */
  descriptionHtml?: string | null;
}

export interface SeriesPlan {
  /** Empty for a new series. */
  id: string;
  title: string;
  descriptionHtml: string;
  audience: 'organization' | 'everyone';
  coOrganizers: string[];
  /** IANA name. */
  timeZone: string;
  attendeeEmails: boolean;
  sessions: PlannedSession[];
  questions: Question[];
  registration: RegistrationSettings;
}

/** Capacity (null: Teams' default), manual approval and waitlist (both need Teams Premium). */
export interface RegistrationSettings {
  capacity: number | null;
  manualApproval: boolean;
  waitlist: boolean;
}

/** A registration question: custom (`text`, `answer`, `choices`) or predefined (`label`). */
export interface Question {
  kind: 'custom' | 'predefined';
  text: string;
  answer: 'text' | 'multilineText' | 'singleChoice' | 'multiChoice' | 'boolean';
  choices: string[];
  label: string;
  required: boolean;
}

export type SeriesState =
  | 'planned'
  | 'publishing'
  | 'published'
  | 'rollingBack'
  | 'rolledBack'
  | 'partiallyRolledBack'
  | 'updating'
  | 'canceled';

export interface SeriesSummary {
  plan: SeriesPlan;
  state: SeriesState;
}

export interface SessionState {
  n: number;
  webinarId: string | null;
  created: boolean;
  tagged: boolean;
  published: boolean;
  canceledInTeams: boolean;
  pendingChanges: boolean;
}

export interface RemainingWebinar {
  n: number | null;
  webinarId: string;
  why: string;
}

export interface JournalRow {
  seq: number | null;
  at: string;
  actor: string;
  action: string;
  seriesId?: string | null;
  n: number | null;
  phase: 'intent' | 'done' | 'failed' | 'unknown';
  target: string | null;
  status: number | null;
  errorClass: string | null;
  message: string | null;
  clientRequestId: string | null;
  requestId: string | null;
}

export interface SeriesDetail {
  plan: SeriesPlan;
  state: SeriesState;
  sessions: SessionState[];
  remaining: RemainingWebinar[];
  journal: JournalRow[];
}

export interface Saved {
  id: string;
  problems: FieldProblem[];
}

/** What looking for an update found. */
export type UpdateCheck =
  | { kind: 'notDue' }
  | { kind: 'noFeed'; current: string }
  | { kind: 'upToDate'; current: string }
  | { kind: 'available'; current: string; version: string; notes: string | null; published: string | null };

export interface DownloadProgress {
  received: number;
  total: number | null;
}

/** The About box: the app's name, version and platform, and whether the notices are there. */
export interface About {
  name: string;
  version: string;
  os: string;
  arch: string;
  notices: boolean;
}

export interface PublishOutcome {
  kind: 'published' | 'rolledBack' | 'partiallyRolledBack';
  cause: string | null;
  remaining: RemainingWebinar[];
}

export interface SessionResult {
  n: number;
  webinarId: string | null;
  what: string;
  error: string | null;
}

export interface EditOutcome {
  state: SeriesState;
  sessions: SessionResult[];
}

export interface FieldChange {
  field: string;
  from: string;
  to: string;
  plain: string;
}

export interface Change {
  kind: 'add' | 'update' | 'cancel' | 'unchanged' | 'drifted' | 'missing';
  n: number;
  webinarId: string | null;
  fields: FieldChange[];
  blocks: boolean;
}

export interface RegistrantCount {
  registered: number;
  sessionsCounted: number;
  sessionsUnknown: number;
}

export interface Zone {
  iana: string;
  windows: string;
}

export interface RecurrenceInput {
  first: string;
  start: string;
  durationMinutes: number;
  repeat: 'weekly' | 'monthly';
  everyWeeks: number;
  /** 1–4, or 0 for the last week of the month. */
  monthlyWeek: number;
  count: number | null;
  until: string | null;
  firstN: number;
}

export interface PageQuery {
  search: string;
  filter: string | null;
  sort: string;
  descending: boolean;
  offset: number;
  limit: number;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface AttendanceSync {
  webinarId: string;
  registrations: number | null;
  newReports: number;
  reportsKnown: number;
  reportPending: boolean;
  warnings: string[];
  finishedAt: string;
}

export interface SyncProgress {
  step: string;
  done: number;
  total: number;
}

export interface SessionStats {
  scheduledStart: string | null;
  scheduledEnd: string | null;
  registered: number;
  attended: number;
  partial: number;
  noShows: number;
  unregistered: number;
  averageSeconds: number;
  peakConcurrent: number;
  /** [instant, people present], one per minute. */
  presence: [string, number][];
  reportCount: number;
  registrationsSource: string | null;
  computedAt: string;
}

export type Outcome = 'attended' | 'partial' | 'noShow';

export interface AttendanceRow {
  key: string;
  name: string;
  email: string | null;
  registered: boolean;
  secondsPresent: number;
  pct: number;
  firstJoin: string | null;
  lastLeave: string | null;
  rejoins: number;
  lateMinutes: number;
  earlyLeaveMinutes: number;
  outcome: Outcome;
  answers: Record<string, string>;
}

export interface RegistrationRow {
  id: string;
  name: string;
  email: string | null;
  status: string;
  registeredAt: string | null;
  canceledAt: string | null;
  answers: Record<string, string>;
}

export interface SessionAttendance {
  stats: SessionStats | null;
  page: Page<AttendanceRow>;
  questions: { id: string; text: string }[];
  sync: { lastSuccessAt: string | null; lastAttemptAt: string; lastError: string | null } | null;
}

export interface MatrixRow {
  /** Unique among the rows. */
  person: string;
  email: string | null;
  /** For someone without an e-mail: their key in the one session they were seen in. */
  sessionKey: string | null;
  name: string;
  cells: (Outcome | null)[];
  attended: number;
  complete: boolean;
}

/** Whom the person drawer shows: everyone with an e-mail, or one person of one session. */
export type PersonRef = { by: 'email'; email: string } | { by: 'inSession'; webinarId: string; personKey: string };

export interface PersonInWebinar {
  webinarId: string;
  title: string | null;
  start: string | null;
  seriesId: string | null;
  seriesTitle: string | null;
  session: number | null;
  registration: RegistrationRow | null;
  attendance: AttendanceRow | null;
  questions: { id: string; text: string }[];
}

export interface PersonHistory {
  name: string;
  email: string | null;
  webinars: PersonInWebinar[];
}

export type CheckOutcome = 'pass' | 'fail' | 'unknown';

export interface DiagnosticCheck {
  id: string;
  title: string;
  outcome: CheckOutcome;
  detail: string;
  remedy: string | null;
  requestId: string | null;
  clientRequestId: string | null;
}

export interface Diagnostics {
  at: string;
  checks: DiagnosticCheck[];
  /** The plain-text report for support (no secrets). */
  text: string;
}

export type ExportKind = 'attendance' | 'intervals' | 'matrix' | 'registrations' | 'calendar' | 'teams' | 'journal';

export type DriftKind = 'inSync' | 'changedInTeams' | 'canceledInTeams' | 'missingInTeams' | 'localEdits';

export interface FieldDiff {
  field: string;
  /** Last synced or written. */
  baseline: string;
  teams: string;
  ours: string | null;
  plain: string;
}

export interface DriftStatus {
  webinarId: string;
  title: string;
  /** The series the webinar is a session of, if it is one of ours. */
  seriesId: string | null;
  finding: { kind: DriftKind; fields: FieldDiff[] } | null;
  checkedAt: string | null;
  failure: { at: string; message: string; requestId: string | null } | null;
  fresh: boolean;
}

export interface DriftScope {
  series?: string;
  webinar?: string;
}

export interface Resolution {
  outcome: 'resolved' | 'changedAgain';
  finding: { kind: DriftKind; fields: FieldDiff[] };
}

export interface SeriesAttendance {
  sessions: { n: number; webinarId: string; stats: SessionStats | null }[];
  rows: MatrixRow[];
  attendedPct: number;
  completionPct: number;
}

function isErrorShape(e: unknown): e is AppErrorShape {
  return typeof e === 'object' && e !== null && 'kind' in e && 'message' in e;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isErrorShape(e)) throw new AppError(e);
    throw new AppError({
      kind: 'internal',
      message: `Webinar Desk could not run “${command}”: ${String(e)}`,
      correlationId: null,
      requestId: null,
      retryAfterSecs: null,
      fields: [],
    });
  }
}

export const api = {
  status: () => call<Status>('status'),
  resume: () => call<Status>('resume'),
  startDemo: () => call<Status>('start_demo'),
  leaveDemo: () => call<Status>('leave_demo'),
  signIn: (loginHint?: string) => call<Status>('sign_in', { loginHint: loginHint ?? null }),
  cancelSignIn: () => call<void>('cancel_sign_in'),
  signOut: (removeCache: boolean) => call<Status>('sign_out', { removeCache }),
  webinars: () => call<WebinarList>('webinars'),
  syncWebinars: () => call<SyncReport>('sync_webinars'),
  getSettings: () => call<Settings>('get_settings'),
  saveSettings: (settings: Settings) => call<Status>('save_settings', { settings }),
  seriesList: () => call<SeriesSummary[]>('series_list'),
  seriesDetail: (id: string) => call<SeriesDetail>('series_detail', { id }),
  saveSeries: (plan: SeriesPlan) => call<Saved>('save_series', { plan }),
  publishSeries: (id: string) => call<PublishOutcome>('publish_series', { id }),
  rollBackSeries: (id: string) => call<PublishOutcome>('roll_back_series', { id }),
  previewSeriesEdit: (plan: SeriesPlan) => call<Change[]>('preview_series_edit', { plan }),
  editSeries: (plan: SeriesPlan) => call<EditOutcome>('edit_series', { plan }),
  seriesRegistrants: (id: string) => call<RegistrantCount>('series_registrants', { id }),
  cancelSeries: (id: string) => call<EditOutcome>('cancel_series', { id }),
  deleteSeries: (id: string) => call<RemainingWebinar[]>('delete_series', { id }),
  groupWebinars: (title: string, webinarIds: string[]) => call<SeriesPlan>('group_webinars', { title, webinarIds }),
  timeZones: () => call<Zone[]>('time_zones'),
  generateSessions: (recurrence: RecurrenceInput) => call<PlannedSession[]>('generate_sessions', { recurrence }),
  syncAttendance: (webinarId: string) => call<AttendanceSync>('sync_attendance', { webinarId }),
  syncSeriesAttendance: (seriesId: string) => call<AttendanceSync[]>('sync_series_attendance', { seriesId }),
  syncProgress: (webinarId: string) => call<SyncProgress | null>('sync_progress', { webinarId }),
  sessionAttendance: (webinarId: string, query: PageQuery) => call<SessionAttendance>('session_attendance', { webinarId, query }),
  sessionRegistrations: (webinarId: string, query: PageQuery) => call<Page<RegistrationRow>>('session_registrations', { webinarId, query }),
  seriesAttendance: (seriesId: string) => call<SeriesAttendance>('series_attendance', { seriesId }),
  personHistory: (person: PersonRef) => call<PersonHistory>('person_history', { person }),
  /** Null when the user canceled the save dialog. */
  exportCsv: (what: ExportKind, id: string, bom: boolean) => call<{ path: string; rows: number } | null>('export_csv', { what, id, bom }),
  revealFile: (path: string) => call<void>('reveal_file', { path }),
  openLogFolder: () => call<void>('open_log_folder'),
  about: () => call<About>('about'),
  openNotices: () => call<void>('open_notices'),
  checkForUpdate: (forced: boolean) => call<UpdateCheck>('check_for_update', { forced }),
  installUpdate: (onProgress: (p: DownloadProgress) => void) => {
    const progress = new Channel<DownloadProgress>();
    progress.onmessage = onProgress;
    return call<void>('install_update', { progress });
  },
  diagnose: () => call<Diagnostics>('diagnose'),
  journal: (search: string, limit: number) => call<JournalRow[]>('journal', { search, limit }),
  checkDrift: (scope: DriftScope, forced: boolean) => call<DriftStatus[]>('check_drift', { scope, forced }),
  driftStatus: (scope: DriftScope) => call<DriftStatus[]>('drift_status', { scope }),
  resolveDrift: (webinarId: string, choice: 'acceptTeams' | 'reapplyOurs', seen: FieldDiff[]) =>
    call<Resolution>('resolve_drift', { webinarId, choice, seen }),
  setAttendanceRules: (attendedPct: number, completionPct: number) =>
    call<number>('set_attendance_rules', { attendedPct, completionPct }),
};
