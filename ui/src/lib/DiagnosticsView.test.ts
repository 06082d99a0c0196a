import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import DiagnosticsView from './DiagnosticsView.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
  vi.unstubAllGlobals();
});

const check = (id: string, title: string, outcome: string, detail: string, remedy: string | null = null, requestId: string | null = null) => ({
  id, title, outcome, detail, remedy, requestId, clientRequestId: requestId ? `c-${requestId}` : null,
});

const report = {
  at: '2026-11-23T10:00:00Z',
  text: 'Webinar Desk diagnostics — 2026-11-23 10:00:00 UTC\n1 passed, 1 failed, 1 unknown\n',
  checks: [
    check('configuration', 'Configuration', 'pass', 'Tenant 3f2a…'),
    check('companion', 'Companion service', 'fail', 'The companion at http://127.0.0.1:9 could not be reached: connection refused', 'Check the companion address in Settings.', 'req-7'),
    check('onBehalfOf', 'Graph token from the companion (On-Behalf-Of)', 'unknown', 'Not checked: the companion could not be reached.'),
  ],
};

describe('DiagnosticsView', () => {
  it('shows each check with its verdict, remedy and request ids, and runs again on demand', async () => {
    let runs = 0;
    mockIPC((cmd) => {
      if (cmd === 'diagnose') {
        runs += 1;
        return report;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(DiagnosticsView, {});
    expect((await screen.findByText(/1 passed · 1 failed · 1 unknown/)).textContent).toBeTruthy();
    const companion = screen.getByText('Companion service').closest('li')!;
    expect(companion.className).toContain('fail');
    expect(companion.textContent).toContain('Failed');
    expect(companion.textContent).toContain('What to do: Check the companion address in Settings.');
    expect(companion.textContent).toContain('req-7');
    expect(companion.textContent).toContain('c-req-7');
    expect(screen.getByText('Graph token from the companion (On-Behalf-Of)').closest('li')!.textContent).toContain('Unknown');
    await fireEvent.click(screen.getByRole('button', { name: 'Run again' }));
    await screen.findByText(/1 passed · 1 failed · 1 unknown/);
    expect(runs).toBe(2);
  });

  it('copies the plain-text report, or shows it selected when the clipboard is refused', async () => {
    mockIPC((cmd) => (cmd === 'diagnose' ? report : undefined));
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    render(DiagnosticsView, {});
    await screen.findByText(/1 passed/);
    await fireEvent.click(screen.getByRole('button', { name: 'Copy report' }));
    expect(writeText).toHaveBeenCalledWith(report.text);
    expect(await screen.findByText(/The report is on the clipboard/)).toBeTruthy();

    vi.stubGlobal('navigator', { clipboard: { writeText: vi.fn().mockRejectedValue(new Error('denied')) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy report' }));
    const area = (await screen.findByLabelText(/Press Ctrl\+C to copy/)) as HTMLTextAreaElement;
    expect(area.value).toBe(report.text);
  });

  it('says what failed when the checks could not run at all', async () => {
    mockIPC((cmd) => {
      if (cmd === 'diagnose') throw { kind: 'internal', message: 'The app state is gone', correlationId: null, requestId: null, retryAfterSecs: null, fields: [] };
      return undefined;
    });
    render(DiagnosticsView, {});
    expect(await screen.findByText(/The app state is gone/)).toBeTruthy();
  });
});
