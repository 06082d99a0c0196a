import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import App from './App.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const signedOut = { profile: 'configured', configured: false, account: null, connection: { state: 'signedOut', reason: null }, keychainWarning: null };
const account = { displayName: 'Megan Bowen', username: 'megan@contoso', tenantId: 't' };
const list = {
  webinars: [
    { id: 'w1@t', title: 'Kick-off', description: '', start: '2026-06-01T10:00:00Z', end: '2026-06-01T11:00:00Z', timeZone: 'W. Europe Standard Time', status: 'published', audience: 'everyone', role: 'organizer', organizerName: 'Megan Bowen', coOrganizers: ['Adele Vance'], listed: true, lastSyncedAt: '2026-05-01T10:00:00Z' },
  ],
  lastSuccessAt: '2026-05-01T10:00:00Z',
  lastAttemptAt: '2026-05-01T10:05:00Z',
  lastError: 'offline',
};

describe('App', () => {
  it('offers the demo tenant when nothing is configured, and switches to it', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'start_demo') return { ...signedOut, profile: 'demo', configured: true };
      return signedOut;
    });
    render(App);
    const signIn = await screen.findByRole('button', { name: 'Sign in with your work account' });
    expect((signIn as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Try the demo tenant' }));
    expect(await screen.findByRole('button', { name: 'Sign in to the demo tenant' })).toBeTruthy();
    expect(calls).toContain('start_demo');
  });

  it('shows the cached list at once and marks it offline with the reason', async () => {
    mockIPC((cmd) => {
      if (cmd === 'status') return { ...signedOut, configured: true, account, connection: { state: 'connecting', reason: null } };
      if (cmd === 'resume') return { ...signedOut, configured: true, account, connection: { state: 'offline', reason: 'Could not reach Entra ID' } };
      if (cmd === 'webinars') return list;
      throw new Error(`unexpected ${cmd}`);
    });
    render(App);
    expect(await screen.findByText('Kick-off')).toBeTruthy();
    const banner = await screen.findByText(/Showing the local copy/);
    expect(banner.textContent).toContain('Could not reach Entra ID');
    expect(screen.getByText('1 of 1 webinars')).toBeTruthy();
  });

  it('shows a failed sync with its details for support', async () => {
    mockIPC((cmd) => {
      if (cmd === 'status' || cmd === 'resume') return { ...signedOut, configured: true, account, connection: { state: 'online', reason: null } };
      if (cmd === 'webinars') return list;
      if (cmd === 'sync_webinars') {
        throw { kind: 'permissionDenied', message: 'Microsoft Graph refused webinars.getByUserRole (HTTP 403, Forbidden)', correlationId: 'crid-9', requestId: 'rid-7', retryAfterSecs: null, fields: [] };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(App);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('HTTP 403');
    expect(alert.textContent).toContain('crid-9');
    expect(alert.textContent).toContain('rid-7');
  });
});
