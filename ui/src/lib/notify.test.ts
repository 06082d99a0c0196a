import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { away, notifyIfAway, publishMessage } from './notify';

// The notification plugin speaks through the web's Notification API, which Tauri's script
// replaces in the real window; here a recording stand-in takes its place.
const sent: { title: string; body?: string }[] = [];
class RecordingNotification {
  static permission: NotificationPermission = 'granted';
  constructor(title: string, options?: { body?: string }) {
    sent.push({ title, body: options?.body });
  }
}
Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true });

const focused = { hidden: false, hasFocus: () => true };
const elsewhere = { hidden: false, hasFocus: () => false };
const minimized = { hidden: true, hasFocus: () => false };

afterEach(() => {
  clearMocks();
  sent.length = 0;
});

describe('notifications when work ends in the background', () => {
  it('counts the organizer away when the window is hidden or has no focus', () => {
    expect(away(focused)).toBe(false);
    expect(away(elsewhere)).toBe(true);
    expect(away(minimized)).toBe(true);
  });

  it('sends nothing while the window has the focus', async () => {
    mockIPC(() => true);
    expect(await notifyIfAway({ title: 't', body: 'b' }, focused)).toBe(false);
    expect(sent).toEqual([]);
  });

  it('sends the notification when the organizer is elsewhere', async () => {
    mockIPC(() => true);
    expect(await notifyIfAway(publishMessage('Data Literacy', 'published'), elsewhere)).toBe(true);
    expect(sent).toEqual([{ title: 'Series published', body: '“Data Literacy” is published in Teams.' }]);
  });

  it('sends nothing when the organizer refused notifications', async () => {
    RecordingNotification.permission = 'denied';
    try {
      expect(await notifyIfAway({ title: 't', body: 'b' }, minimized)).toBe(false);
      expect(sent).toEqual([]);
    } finally {
      RecordingNotification.permission = 'granted';
    }
  });

  it('says plainly when a publish was rolled back', () => {
    expect(publishMessage('X', 'rolledBack').title).toBe('Publish failed — rolled back');
    expect(publishMessage('X', 'partiallyRolledBack').body).toContain('could not be canceled');
  });
});
