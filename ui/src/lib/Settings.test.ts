import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Settings from './Settings.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
});

const pushed = {
  tenantId: '3f2a9c4e-8b1d-4e6f-9a7c-2d5e8f1b6c3a',
  clientId: '5e0c7d41-6a0b-4c3e-9f58-1b2d3c4e5f60',
  companionUrl: 'https://companion.contoso.com',
  companionScope: '',
  authorityUrl: null,
  graphUrl: null,
};

describe('Settings', () => {
  it('shows what IT pushed as set by the organization, read-only, and leaves the rest editable', async () => {
    mockIPC((cmd) => {
      if (cmd === 'get_settings') return { ...pushed, managed: ['tenant_id', 'client_id', 'companion_url'] };
      throw new Error(`unexpected ${cmd}`);
    });
    render(Settings, { onsaved: () => {}, oncancel: () => {} });
    expect((await screen.findByRole('note')).textContent).toContain('Your organization set some of these');
    const tenant = screen.getByLabelText('Tenant ID or domain') as HTMLInputElement;
    expect(tenant.readOnly).toBe(true);
    expect(tenant.value).toBe(pushed.tenantId);
    expect(screen.getAllByText('Set by your organization. Ask your IT department to change it.')).toHaveLength(3);
    expect((screen.getByLabelText('Companion scope') as HTMLInputElement).readOnly).toBe(false);
  });

  it('says nothing of the organization when nothing was pushed', async () => {
    mockIPC((cmd) => (cmd === 'get_settings' ? { ...pushed, managed: [] } : null));
    render(Settings, { onsaved: () => {}, oncancel: () => {} });
    const tenant = (await screen.findByLabelText('Tenant ID or domain')) as HTMLInputElement;
    expect(tenant.readOnly).toBe(false);
    expect(screen.queryByRole('note')).toBeNull();
  });
});
