import { describe, expect, it } from 'vitest';
import { age, clock, localZone, phase, roleLabel, span, stamp, statusLabel, when, zoneNote } from './format';

describe('format', () => {
  const now = new Date('2026-05-01T12:00:00Z');

  it('says how old data is in plain words', () => {
    expect(age(null, now)).toBe('never');
    expect(age('2026-05-01T11:59:50Z', now)).toBe('just now');
    expect(age('2026-05-01T11:59:00Z', now)).toBe('1 minute ago');
    expect(age('2026-05-01T11:15:00Z', now)).toBe('45 minutes ago');
    expect(age('2026-05-01T09:00:00Z', now)).toBe('3 hours ago');
    expect(age('2026-04-28T12:00:00Z', now)).toBe('3 days ago');
  });

  it('tells past, live and upcoming apart', () => {
    expect(phase('2026-05-01T11:00:00Z', '2026-05-01T13:00:00Z', now)).toBe('live');
    expect(phase('2026-05-02T11:00:00Z', '2026-05-02T13:00:00Z', now)).toBe('upcoming');
    expect(phase('2026-04-01T11:00:00Z', '2026-04-01T13:00:00Z', now)).toBe('past');
    expect(phase(null, null, now)).toBe('unknown');
  });

  it('shows unknown times as a dash and same-day spans with the end time only', () => {
    expect(when(null)).toBe('—');
    expect(when('not a date')).toBe('—');
    const s = span('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z');
    expect(s.split('–').length).toBe(2);
    expect(s.split('–')[1]!.trim().length).toBeLessThan(s.split('–')[0]!.trim().length);
  });

  it('names the zone times are shown in, in words', () => {
    expect(zoneNote('America/New_York')).toBe('Times are in your time zone (America/New York).');
    expect(zoneNote()).toBe(`Times are in your time zone (${localZone.replaceAll('_', ' ')}).`);
    expect(localZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  });

  it('labels roles and statuses, keeping values Teams adds later', () => {
    expect(roleLabel('coOrganizer')).toBe('Co-organizer');
    expect(statusLabel('published')).toBe('Published');
    expect(statusLabel('somethingNew')).toBe('somethingNew');
  });
});

describe('times in table cells', () => {
  it('read as the locale shows them, from one formatter each', () => {
    const iso = '2026-03-03T14:05:09Z';
    expect(clock(iso)).toBe(new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));
    expect(stamp(iso)).toBe(new Date(iso).toLocaleString());
  });

  it('say "—" when there is no time or it cannot be read', () => {
    for (const f of [clock, stamp]) {
      expect(f(null)).toBe('—');
      expect(f('not a time')).toBe('—');
    }
  });
});
