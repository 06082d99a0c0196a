import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import SessionView from './SessionView.svelte';

// What jsdom lacks and the table's virtualizer uses; the rows' layout is not under test here.
beforeAll(() => {
  Element.prototype.scrollTo ??= () => {};
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});

afterEach(() => {
  cleanup();
  clearMocks();
});

const row = (n: number) => ({
  key: `p${n}`, name: `Person ${n}`, email: `p${n}@example.com`, registered: true, secondsPresent: 3600, pct: 100,
  firstJoin: '2026-11-20T10:00:00Z', lastLeave: '2026-11-20T11:00:00Z', rejoins: 0, lateMinutes: 0, earlyLeaveMinutes: 0,
  outcome: 'attended', answers: {},
});

/** Answers to what the page asks of Teams once it refreshes: a sync with nothing new, no drift. */
function teams(cmd: string): unknown {
  if (cmd === 'sync_attendance') {
    return { webinarId: 'w1', registrations: 0, newReports: 0, reportsKnown: 0, reportPending: false, warnings: [], finishedAt: '2026-11-22T10:00:00Z' };
  }
  if (cmd === 'sync_progress') return null;
  if (cmd === 'check_drift' || cmd === 'drift_status') return [];
  throw new Error(`unexpected ${cmd}`);
}

describe('SessionView', () => {
  it('refreshes from Teams only once the local copy is on screen', async () => {
    const calls: string[] = [];
    // The table's first page is answered only when the test says so.
    let answerPage: () => void = () => {};
    const pageAsked = new Promise<void>((asked) => {
      mockIPC(async (cmd, args) => {
        calls.push(cmd);
        const query = (args as { query?: { limit: number } }).query;
        if (cmd === 'session_attendance' && query?.limit === 1) {
          return { stats: null, page: { rows: [], total: 3 }, questions: [], sync: null };
        }
        if (cmd === 'session_attendance') {
          asked();
          await new Promise<void>((answer) => (answerPage = answer));
          return { stats: null, page: { rows: [row(1), row(2), row(3)], total: 3 }, questions: [], sync: null };
        }
        return teams(cmd);
      });
    });
    render(SessionView, { webinarId: 'w1', title: 'Session 1', onback: () => {} });
    await pageAsked;
    // Long enough for the page's numbers to have been read and a frame to pass.
    await new Promise((r) => setTimeout(r, 100));
    expect(calls, 'nothing goes to Teams while the table waits for its first page').not.toContain('sync_attendance');
    expect(calls).not.toContain('check_drift');
    answerPage();
    expect(await screen.findByText('3 rows')).toBeTruthy();
    await waitFor(() => expect(calls).toContain('sync_attendance'));
    await waitFor(() => expect(calls).toContain('check_drift'));
  });

  it('refreshes within a second when the table cannot show its page', async () => {
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      const query = (args as { query?: { limit: number } }).query;
      if (cmd === 'session_attendance' && query?.limit === 1) {
        return { stats: null, page: { rows: [], total: 0 }, questions: [], sync: null };
      }
      if (cmd === 'session_attendance') throw { kind: 'store', message: 'The local copy could not be read.', correlationId: 'c1' };
      return teams(cmd);
    });
    render(SessionView, { webinarId: 'w1', title: 'Session 1', onback: () => {} });
    await waitFor(() => expect(calls).toContain('sync_attendance'), { timeout: 2000 });
  });
});
