// The only module that talks to the Rust side. Every call returns typed data or throws an
// AppError whose `kind` the UI branches on.
import { invoke } from '@tauri-apps/api/core';

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
  | 'graph'
  | 'companion'
  | 'keychain'
  | 'storage'
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
};
