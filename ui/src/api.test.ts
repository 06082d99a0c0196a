import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { AppError, api } from './api';

afterEach(() => clearMocks());

describe('api', () => {
  it('passes arguments in camelCase and returns typed data', async () => {
    let seen: unknown;
    mockIPC((cmd, payload) => {
      seen = { cmd, payload };
      return { profile: 'configured', configured: true, account: null, connection: { state: 'signedOut', reason: null }, keychainWarning: null };
    });
    const status = await api.signOut(true);
    expect(seen).toEqual({ cmd: 'sign_out', payload: { removeCache: true } });
    expect(status.connection.state).toBe('signedOut');
  });

  it('turns the Rust error shape into an AppError the UI branches on', async () => {
    mockIPC(() => {
      throw { kind: 'offline', message: 'Could not reach Microsoft Graph', correlationId: 'c-1', requestId: null, retryAfterSecs: null, fields: [] };
    });
    const error = await api.syncWebinars().catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error.kind).toBe('offline');
    expect(error.correlationId).toBe('c-1');
  });

  it('wraps anything unexpected as an internal error naming the command', async () => {
    mockIPC(() => {
      throw 'boom';
    });
    const error = await api.webinars().catch((e) => e);
    expect(error.kind).toBe('internal');
    expect(error.message).toContain('webinars');
  });
});
