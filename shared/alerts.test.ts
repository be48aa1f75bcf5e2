import { describe, expect, it } from 'vitest';
import { alertSettingsSchema, NO_ALERTS, validateAlertSettings, type AlertSettingsInput } from './alerts';

const on = (over: Partial<AlertSettingsInput>): AlertSettingsInput => ({ ...NO_ALERTS, ...over });

describe('alert settings', () => {
  it('are all off by default and valid as they are', () => {
    expect(validateAlertSettings(NO_ALERTS)).toEqual({
      ok: true,
      values: {
        ...NO_ALERTS,
        ntfy: { ...NO_ALERTS.ntfy, token: undefined },
        mqtt: { ...NO_ALERTS.mqtt, password: undefined },
      },
    });
    expect(alertSettingsSchema.safeParse(NO_ALERTS).success).toBe(true);
  });

  it('need an address for a target switched on, of the right kind, without credentials in it', () => {
    const r = validateAlertSettings(
      on({
        webhook: { enabled: true, url: '' },
        ntfy: { enabled: true, url: 'ftp://ntfy.example/topic' },
        mqtt: { ...NO_ALERTS.mqtt, enabled: true, url: 'mqtt://user:pw@broker.lan' },
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['mqtt.url', 'ntfy.url', 'webhook.url']);
    expect(r.errors['mqtt.url']).toMatch(/no user name or password/);
    // Switched off, a half-typed address is kept without complaint only when empty or valid.
    expect(validateAlertSettings(on({ webhook: { enabled: false, url: '' } })).ok).toBe(true);
  });

  it('refuse MQTT wildcards and empty levels in topics, and trim what they keep', () => {
    for (const topic of ['a/+/b', 'a/#', '/a', 'a/', 'a//b'])
      expect(validateAlertSettings(on({ mqtt: { ...NO_ALERTS.mqtt, topic } })).ok, topic).toBe(false);
    const r = validateAlertSettings(
      on({ mqtt: { ...NO_ALERTS.mqtt, topic: '  ', discoveryPrefix: '', url: ' mqtt://10.0.0.2 ' } }),
    );
    expect(r.ok && r.values.mqtt).toMatchObject({
      topic: 'dns-witness',
      discoveryPrefix: '',
      url: 'mqtt://10.0.0.2',
    });
  });

  it('refuse fields the form does not have', () => {
    expect(alertSettingsSchema.safeParse({ ...NO_ALERTS, extra: 1 }).success).toBe(false);
  });
});
