// Tells the organizer, through the OS, that a long piece of work ended while they were in
// another window. Nothing is sent while the window has the focus: the page itself shows it.
import { isPermissionGranted, requestPermission, sendNotification } from '@tauri-apps/plugin-notification';

/** Whether the organizer is looking elsewhere (another app, or the window minimized). */
export function away(doc: Pick<Document, 'hidden' | 'hasFocus'> = document): boolean {
  return doc.hidden || !doc.hasFocus();
}

/** The notification for a publish that ended, in plain words. */
export function publishMessage(title: string, kind: 'published' | 'rolledBack' | 'partiallyRolledBack'): { title: string; body: string } {
  switch (kind) {
    case 'published':
      return { title: 'Series published', body: `“${title}” is published in Teams.` };
    case 'rolledBack':
      return { title: 'Publish failed — rolled back', body: `“${title}” was not published; nothing of it is left in Teams. Open it to see why.` };
    case 'partiallyRolledBack':
      return { title: 'Publish failed — some sessions remain', body: `“${title}” was not published and some sessions could not be canceled. Open it to see which.` };
  }
}

/** Sends `message` as an OS notification if the organizer is away; never throws. */
export async function notifyIfAway(message: { title: string; body: string }, doc?: Pick<Document, 'hidden' | 'hasFocus'>): Promise<boolean> {
  if (!away(doc)) return false;
  try {
    let granted = await isPermissionGranted();
    if (!granted) granted = (await requestPermission()) === 'granted';
    if (!granted) return false;
    sendNotification(message);
    return true;
  } catch {
    // A notification is a courtesy: the page shows the outcome either way.
    return false;
  }
}
