import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import UpdateCheck from './UpdateCheck.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const available = { kind: 'available', current: '0.1.0', version: '0.2.0', notes: 'Faster sync.', published: null };

describe('UpdateCheck', () => {
  it('offers a newer version with its notes and installs it when asked', async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'check_for_update') return available;
      if (cmd === 'install_update') return new Promise(() => {});
      throw new Error(`unexpected ${cmd}`);
    });
    render(UpdateCheck, { forced: true });
    expect((await screen.findByText('Webinar Desk 0.2.0 is available')).tagName).toBe('STRONG');
    expect(screen.getByText('Faster sync.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Install and restart' }));
    expect(await screen.findByRole('progressbar', { name: 'Downloading the update' })).toBeTruthy();
    expect(calls.map((c) => c.cmd)).toEqual(['check_for_update', 'install_update']);
    expect(calls[0]?.args).toEqual({ forced: true });
  });

  it('says the refusal in plain words when the download fails verification', async () => {
    mockIPC((cmd) => {
      if (cmd === 'check_for_update') return available;
      throw { kind: 'update', message: 'The update was refused: its signature does not match. Nothing was installed.', correlationId: null, requestId: null, retryAfterSecs: null, fields: [] };
    });
    render(UpdateCheck, { forced: true });
    await fireEvent.click(await screen.findByRole('button', { name: 'Install and restart' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Nothing was installed');
    expect(screen.getByRole('button', { name: 'Install and restart' })).toBeTruthy();
  });

  it('says up to date when asked, and nothing at all on the quiet daily look', async () => {
    mockIPC((cmd) => (cmd === 'check_for_update' ? { kind: 'upToDate', current: '0.1.0' } : null));
    render(UpdateCheck, { forced: true });
    expect((await screen.findByText('You’re up to date (version 0.1.0).'.replace('’', "'"))).id).toBe('update-status');
    cleanup();
    render(UpdateCheck, { forced: false, quiet: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByRole('status')).toBeNull();
  });
});
