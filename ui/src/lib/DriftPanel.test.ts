import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import DriftPanel from './DriftPanel.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const drifted = (n: number) => ({
  webinarId: `w${n}`, title: `Course — Session ${n}`, seriesId: 's1', checkedAt: '2027-03-02T10:00:00Z', failure: null, fresh: true,
  finding: { kind: 'changedInTeams', fields: [{ field: 'title', baseline: `Course — Session ${n}`, teams: `Renamed ${n}`, ours: `Course — Session ${n}`, plain: `Title changed to “Renamed ${n}”` }] },
});

describe('DriftPanel', () => {
  it('shows each difference and accepts Teams for the whole series, session by session', async () => {
    const resolved: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'check_drift') return [drifted(1), drifted(2), { ...drifted(3), finding: { kind: 'inSync', fields: [] } }];
      if (cmd === 'resolve_drift') {
        resolved.push(args);
        return { outcome: 'resolved', finding: { kind: 'inSync', fields: [] } };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(DriftPanel, { scope: { series: 's1' }, timeZone: 'Europe/Berlin' });
    expect((await screen.findByText(/2 sessions need a look/)).textContent).toContain('checked');
    expect(screen.getByText('Title changed to “Renamed 2”')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Accept Teams’ version for all 2' }));
    expect(await screen.findByText(/Every session is as Webinar Desk last wrote or saw it/)).toBeTruthy();
    expect(resolved).toEqual([
      { webinarId: 'w1', choice: 'acceptTeams', seen: drifted(1).finding.fields },
      { webinarId: 'w2', choice: 'acceptTeams', seen: drifted(2).finding.fields },
    ]);
  });

  it('keeps the last finding when the check failed, and names the request id', async () => {
    mockIPC((cmd) => {
      if (cmd === 'check_drift') return [{ ...drifted(1), failure: { at: '2027-03-02T10:05:00Z', message: 'Teams did not answer', requestId: 'req-9' } }];
      throw new Error(`unexpected ${cmd}`);
    });
    render(DriftPanel, { scope: { webinar: 'w1' } });
    expect(await screen.findByText(/It needs a look/)).toBeTruthy();
    expect(screen.getByText(/Teams did not answer \(request id req-9\)/)).toBeTruthy();
    expect(screen.getByText('Title changed to “Renamed 1”')).toBeTruthy();
  });
});
