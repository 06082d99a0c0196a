import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import About from './About.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const about = (notices: boolean) => ({ name: 'Webinar Desk', version: '1.4.2', os: 'linux', arch: 'x86_64', notices });

describe('About', () => {
  it('shows the version and opens the third-party notices the installer put beside the app', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'about') return about(true);
      if (cmd === 'open_notices') return null;
      throw new Error(`unexpected ${cmd}`);
    });
    render(About, { onclose: () => {} });
    expect((await screen.findByText('Version 1.4.2')).id).toBe('about-version');
    await fireEvent.click(screen.getByRole('button', { name: 'Third-party notices' }));
    expect(calls).toEqual(['about', 'open_notices']);
  });

  it('says why the notices cannot open in a copy not installed from an installer', async () => {
    mockIPC((cmd) => (cmd === 'about' ? about(false) : null));
    render(About, { onclose: () => {} });
    await screen.findByText('Version 1.4.2');
    const button = screen.getByRole('button', { name: 'Third-party notices' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.title).toContain('ship with every installer');
  });

  it('closes with Escape', async () => {
    mockIPC((cmd) => (cmd === 'about' ? about(true) : null));
    let closed = 0;
    render(About, { onclose: () => closed++ });
    await screen.findByText('Version 1.4.2');
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(closed).toBe(1);
  });
});
