import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import SeriesPage from './SeriesPage.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const plan = {
  id: 's1', title: 'Data Literacy', descriptionHtml: '', audience: 'organization', coOrganizers: [], timeZone: 'Europe/Berlin', attendeeEmails: true, questions: [], registration: { capacity: null, manualApproval: false, waitlist: false },
  sessions: [1, 2].map((n) => ({ n, titleSuffix: `Session ${n}`, date: `2027-03-0${n + 1}`, start: '14:00', durationMinutes: 60, canceled: false })),
};
const session = (n: number, extra = {}) => ({ n, webinarId: `w${n}@t`, created: true, tagged: false, published: false, canceledInTeams: false, pendingChanges: false, ...extra });

describe('SeriesPage', () => {
  it('lists what a partial rollback left in Teams and retries it', async () => {
    const calls: string[] = [];
    let state = 'partiallyRolledBack';
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'series_detail')
        return {
          plan, state, sessions: [session(1), session(2)],
          remaining: state === 'partiallyRolledBack' ? [{ n: 2, webinarId: 'w2@t', why: 'Graph refused (403 Forbidden)' }] : [],
          journal: [{ seq: 1, at: '2027-01-01T10:00:00Z', actor: 'megan', action: 'rollback', n: null, phase: 'intent', target: null, status: null, errorClass: null, message: 'create refused: 400', clientRequestId: null, requestId: null }],
        };
      if (cmd === 'roll_back_series') {
        state = 'rolledBack';
        return { kind: 'rolledBack', cause: 'rollback asked for by the organizer', remaining: [] };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(SeriesPage, { id: 's1', onback: () => {}, ondeleted: () => {} });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('w2@t');
    expect(alert.textContent).toContain('403 Forbidden');
    expect(alert.textContent).toContain('create refused: 400');
    await fireEvent.click(screen.getByRole('button', { name: 'Retry rollback' }));
    expect(await screen.findByText(/nothing of this series remains in Teams/)).toBeTruthy();
    expect(calls).toContain('roll_back_series');
  });

  it('disables Teams actions offline, with the reason', async () => {
    mockIPC((cmd) => {
      if (cmd === 'series_detail') return { plan, state: 'planned', sessions: [], remaining: [], journal: [] };
      throw new Error(`unexpected ${cmd}`);
    });
    render(SeriesPage, { id: 's1', offline: true, onback: () => {}, ondeleted: () => {} });
    const publish = (await screen.findByRole('button', { name: 'Publish to Teams' })) as HTMLButtonElement;
    expect(publish.disabled).toBe(true);
    expect(publish.title).toContain('cannot be reached');
    const sessions = screen.getByRole('table', { name: 'Sessions of the series' });
    expect(sessions.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(sessions.textContent).toContain('Data Literacy — Session 2');
  });

  it('asks before canceling, naming the registrant count', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'series_detail') return { plan, state: 'published', sessions: [session(1, { tagged: true, published: true }), session(2, { tagged: true, published: true })], remaining: [], journal: [] };
      if (cmd === 'series_registrants') return { registered: 42, sessionsCounted: 2, sessionsUnknown: 0 };
      throw new Error(`unexpected ${cmd}`);
    });
    render(SeriesPage, { id: 's1', onback: () => {}, ondeleted: () => {} });
    await fireEvent.click(await screen.findByRole('button', { name: 'Cancel the series…' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('42 people are registered');
    expect(calls).not.toContain('cancel_series');
  });
});
