import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { PageQuery } from '../api';
import { FIRST_PAGE } from './opening';
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
      mockIPC(async (cmd) => {
        calls.push(cmd);
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
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'session_attendance') throw { kind: 'store', message: 'The local copy could not be read.', correlationId: 'c1' };
      return teams(cmd);
    });
    render(SessionView, { webinarId: 'w1', title: 'Session 1', onback: () => {} });
    await waitFor(() => expect(calls).toContain('sync_attendance'), { timeout: 2000 });
  });

  it('opens from one read of the local copy: numbers, question columns and first rows', async () => {
    const asked: { cmd: string; query?: PageQuery }[] = [];
    mockIPC((cmd, args) => {
      asked.push({ cmd, query: (args as { query?: PageQuery }).query });
      if (cmd === 'session_attendance') {
        return {
          stats: null,
          page: { rows: [row(1), row(2)], total: 2 },
          questions: [{ id: 'q1', text: 'Which team are you in?' }],
          sync: null,
        };
      }
      if (cmd === 'session_registrations') return { rows: [], total: 0 };
      return teams(cmd);
    });
    render(SessionView, { webinarId: 'w1', title: 'Session 1', onback: () => {} });
    expect(await screen.findByText('Person 2')).toBeTruthy();
    // Join and leave times are the computer's; the page says in which zone.
    expect(screen.getByText(/^Times are in your time zone \(.+\)\.$/)).toBeTruthy();
    // The question's answers are a column to choose from the start.
    await fireEvent.click(screen.getByRole('button', { name: 'Columns' }));
    expect(screen.getByRole('checkbox', { name: 'Which team are you in?' })).toBeTruthy();
    await waitFor(() => expect(asked.map((a) => a.cmd)).toContain('sync_attendance'));
    const reads = asked.filter((a) => a.cmd === 'session_attendance');
    // The refresh after the sync reads again; before it, the opening's read was the only one.
    const beforeSync = asked.slice(0, asked.findIndex((a) => a.cmd === 'sync_attendance')).filter((a) => a.cmd === 'session_attendance');
    expect(beforeSync, 'the page and its table shared one read').toHaveLength(1);
    expect(reads[0]?.query).toEqual(FIRST_PAGE);

    // Shown again after the other tab (the refresh done), the table reads the local copy as
    // it is now.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Sync now' })).toBeTruthy());
    await new Promise((r) => setTimeout(r, 50));
    const before = asked.filter((a) => a.cmd === 'session_attendance').length;
    await fireEvent.click(screen.getByRole('tab', { name: 'Registrations' }));
    await fireEvent.click(screen.getByRole('tab', { name: 'Attendance' }));
    await waitFor(() => expect(asked.filter((a) => a.cmd === 'session_attendance').length).toBeGreaterThan(before));
  });
});
