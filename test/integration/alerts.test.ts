/**
 * Watchlist alerts to real peers from the built service: Debian's mosquitto as the MQTT broker (with Home
 * Assistant discovery checked against the documented fields), and a local HTTP server as the webhook and
 * as an ntfy-shaped endpoint (ntfy itself is not packaged for Debian, so its publish API, a POST of the
 * message to the topic URL with Title/Tags/Priority headers and a Bearer token, is served here). The
 * router asks for Avira SafeThings; the same alert the dashboard's toast shows arrives everywhere.
 */
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertSettingsInput, AlertsSaveResult, AlertsView, AlertTestResult } from '@shared/alerts';
import { fetchPastRefusals } from '@shared/http-protocol';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { startServe, type Served } from '../helpers/serve';
import { dig, freePort, waitFor } from '../helpers/tools';

const ROUTER = '127.0.0.3';
const TOKEN = 'tk_9f8e7d6c5b4a39281706';
const TOPIC = 'dnsw-test';

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** The webhook and the ntfy-shaped endpoint: keeps every POST; /ntfy/ wants the Bearer token as ntfy does. */
async function startReceiver(): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/ntfy/') && req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"code":40101,"http":401,"error":"unauthorized"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      // ntfy answers a publish with the message as JSON; the webhook's answer is not read.
      res.end(JSON.stringify({ id: String(got.length), event: 'message' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The fields Home Assistant documents for an MQTT sensor's discovery payload, and for its device. */
const HA_SENSOR_FIELDS = new Set([
  'availability',
  'availability_mode',
  'availability_template',
  'availability_topic',
  'default_entity_id',
  'device',
  'device_class',
  'enabled_by_default',
  'encoding',
  'entity_category',
  'entity_picture',
  'expire_after',
  'force_update',
  'icon',
  'json_attributes_template',
  'json_attributes_topic',
  'last_reset_value_template',
  'name',
  'options',
  'origin',
  'payload_available',
  'payload_not_available',
  'platform',
  'qos',
  'state_class',
  'state_topic',
  'suggested_display_precision',
  'unique_id',
  'unit_of_measurement',
  'value_template',
]);
const HA_DEVICE_FIELDS = new Set([
  'configuration_url',
  'connections',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
]);

describe('watchlist alerts to webhook, ntfy and MQTT', () => {
  let upstream: Dnsmasq;
  let broker: Mosquitto;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let served: Served;

  // As the dashboard calls: a load-shedding refusal (503 with Retry-After) is waited out, not a failure.
  const rpc = async <T>(channel: string, args?: unknown): Promise<T> => {
    const res = await fetchPastRefusals(
      () =>
        fetch(`${served.base}/api/rpc/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args === undefined ? {} : { args }),
        }),
      (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    );
    const body = (await res.json()) as { result?: T; error?: string };
    if (!res.ok) throw new Error(`${channel}: ${res.status} ${body.error}`);
    return body.result as T;
  };

  const settings = (over: Partial<AlertSettingsInput> = {}): AlertSettingsInput => ({
    webhook: { enabled: true, url: `${receiver.url}/hook` },
    ntfy: { enabled: true, url: `${receiver.url}/ntfy/router-alerts` },
    mqtt: { enabled: true, url: broker.url, username: '', topic: TOPIC, discoveryPrefix: 'homeassistant' },
    ...over,
  });

  beforeAll(async () => {
    upstream = await startDnsmasq();
    broker = await startMosquitto();
    receiver = await startReceiver();
    served = await startServe(upstream.port, { args: ['--router', ROUTER] });
  });
  afterAll(async () => {
    await served?.stop();
    await receiver?.close();
    await broker?.stop();
    await upstream?.stop();
  });

  it('is off by default, keeps the token to itself, and sends a test to each target', async () => {
    const before = await rpc<AlertsView>('alerts:get');
    expect([before.webhook.enabled, before.ntfy.enabled, before.mqtt.enabled]).toEqual([false, false, false]);
    expect(receiver.got).toHaveLength(0);

    const saved = await rpc<AlertsSaveResult>('alerts:save', {
      ...settings(),
      ntfy: { ...settings().ntfy, token: TOKEN },
    });
    expect(saved.ok).toBe(true);
    // The token is stored (0600) and never comes back: the view only says one is set.
    const view = await rpc<AlertsView>('alerts:get');
    expect(view.ntfy.tokenSet).toBe(true);
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    expect(JSON.stringify(saved)).not.toContain(TOKEN);
    expect((await stat(path.join(served.dataDir, 'alerts.json'))).mode & 0o777).toBe(0o600);
    // A save without the token keeps it.
    expect((await rpc<AlertsSaveResult>('alerts:save', settings())).ok).toBe(true);

    // Connected: the availability topic says so, retained.
    await waitFor(() => broker.latest(`${TOPIC}/status`) === 'online' || undefined, 10_000, 'online');
    expect(await broker.retained(`${TOPIC}/status`)).toBe('online');

    for (const target of ['webhook', 'ntfy', 'mqtt'] as const) {
      const r = await rpc<AlertTestResult>('alerts:test', { target });
      expect(r, target).toMatchObject({ ok: true });
    }
    const hook = receiver.got.find((g) => g.path === '/hook')!;
    expect(hook.headers['content-type']).toBe('application/json');
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'watch-alert',
      test: true,
      title: expect.any(String),
    });
    const ntfy = receiver.got.find((g) => g.path === '/ntfy/router-alerts')!;
    expect(ntfy.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(ntfy.headers.title).toBe('Router telemetry detected (test)');
    expect(ntfy.body).toContain('test');
    const mqttTest = await waitFor(() => broker.latest(`${TOPIC}/alert`), 5000, 'the MQTT test alert');
    expect(JSON.parse(mqttTest)).toMatchObject({ test: true });
  });

  it("sends the router's first SafeThings lookup as the toast's alert, and a Home Assistant sensor for its rate", async () => {
    const seen = receiver.got.length;
    await dig(served.dnsPort, 'dfp-dual.safethings.avira.com', 'A', ['-b', ROUTER]);
    // Answered DNS first; the alert follows off the query path.
    const hook = await waitFor(
      () => receiver.got.slice(seen).find((g) => g.path === '/hook'),
      10_000,
      'the webhook alert',
    );
    const alert = JSON.parse(hook.body) as Record<string, unknown>;
    console.log(`webhook payload: ${hook.body}`);
    expect(alert).toMatchObject({
      event: 'watch-alert',
      test: false,
      title: 'Router telemetry detected',
      rule: 'avira-safethings',
      router: ROUTER,
      category: 'security-cloud',
      source: { app: 'DNS Witness', host: os.hostname() },
    });
    expect(alert.message).toMatch(
      new RegExp(`^Your router ${ROUTER.replace(/\./g, '\\.')} contacted .*SafeThings`),
    );
    const ntfy = await waitFor(
      () => receiver.got.slice(seen).find((g) => g.path === '/ntfy/router-alerts'),
      10_000,
      'the ntfy alert',
    );
    expect(ntfy.body).toBe(alert.message);
    expect(ntfy.headers).toMatchObject({ title: 'Router telemetry detected', priority: '4' });
    expect(ntfy.headers.tags).toContain('avira-safethings');
    const mqttAlert = await waitFor(
      () => broker.messages.find((m) => m.topic === `${TOPIC}/alert` && JSON.parse(m.payload).test === false),
      10_000,
      'the MQTT alert',
    );
    expect(JSON.parse(mqttAlert.payload)).toMatchObject({ message: alert.message, router: ROUTER });

    // Home Assistant discovery: one retained sensor config for (router, rule), with the documented fields.
    const config = await waitFor(
      () => broker.messages.find((m) => /^homeassistant\/sensor\/[^/]+\/[^/]+\/config$/.test(m.topic)),
      15_000,
      'the discovery config',
    );
    console.log(`discovery ${config.topic}: ${config.payload}`);
    expect(await broker.retained(config.topic)).toBe(config.payload);
    const [, , node, object] = config.topic.split('/');
    expect(node).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(object).toMatch(/^[a-zA-Z0-9_-]+$/);
    const c = JSON.parse(config.payload) as Record<string, unknown> & { device: Record<string, unknown> };
    for (const key of Object.keys(c)) expect(HA_SENSOR_FIELDS.has(key), `sensor field ${key}`).toBe(true);
    for (const key of Object.keys(c.device))
      expect(HA_DEVICE_FIELDS.has(key), `device field ${key}`).toBe(true);
    expect(c).toMatchObject({
      state_class: 'measurement',
      availability_topic: `${TOPIC}/status`,
      payload_available: 'online',
      payload_not_available: 'offline',
      value_template: '{{ value_json.per_day }}',
    });
    expect(typeof c.unique_id).toBe('string');
    expect(c.device.identifiers).toEqual([expect.stringMatching(/^[a-z0-9_]+$/)]);
    // The state: one lookup is too early to tell, so per_day is null (Home Assistant: unknown).
    const stateTopic = c.state_topic as string;
    const state = await waitFor(() => broker.latest(stateTopic), 10_000, 'the sensor state');
    expect(await broker.retained(stateTopic)).toBe(state);
    expect(JSON.parse(state)).toMatchObject({
      rule: 'avira-safethings',
      router: ROUTER,
      per_day: null,
      lookups: 1,
      text: 'too early to tell',
    });
  });

  it('shows a failing target in Settings and /api/health, and says offline when MQTT is switched off', async () => {
    const closed = await freePort();
    const off = settings({
      webhook: { enabled: true, url: `http://127.0.0.1:${closed}/hook` },
      mqtt: { ...settings().mqtt, enabled: false },
    });
    expect((await rpc<AlertsSaveResult>('alerts:save', off)).ok).toBe(true);
    await waitFor(() => broker.latest(`${TOPIC}/status`) === 'offline' || undefined, 10_000, 'offline');
    expect(await broker.retained(`${TOPIC}/status`)).toBe('offline');
    const r = await rpc<AlertTestResult>('alerts:test', { target: 'webhook' });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/ECONNREFUSED/);
    const view = await rpc<AlertsView>('alerts:get');
    expect(view.webhook.status.failed).toBe(1);
    expect(view.webhook.status.lastError).toMatch(/ECONNREFUSED/);
    const health = (await (await fetch(`${served.base}/api/health`)).json()) as {
      ok: boolean;
      problems: { code: string; message: string }[];
    };
    expect(health.ok).toBe(true);
    expect(health.problems).toContainEqual({
      code: 'alert-failing',
      message: expect.stringMatching(/^Watchlist alerts do not reach webhook: .*ECONNREFUSED/),
    });
    const metrics = await (await fetch(`${served.base}/metrics`)).text();
    expect(metrics).toContain('dnswitness_alerts_failed_total{target="webhook"} 1');
    // A broker that is not there: a problem too, with the reason, until it answers.
    const noBroker = await freePort();
    const away = { ...off, mqtt: { ...off.mqtt, enabled: true, url: `mqtt://127.0.0.1:${noBroker}` } };
    expect((await rpc<AlertsSaveResult>('alerts:save', away)).ok).toBe(true);
    const mqttProblem = await waitFor(
      async () => {
        const h = (await (await fetch(`${served.base}/api/health`)).json()) as {
          problems: { code: string; message: string }[];
        };
        return h.problems.find((p) => p.message.includes('reach mqtt'));
      },
      10_000,
      'the MQTT problem in /api/health',
    );
    expect(mqttProblem.message).toMatch(/not connected to the broker \(.*ECONNREFUSED/);
    expect((await rpc<AlertsView>('alerts:get')).mqtt.connected).toBe(false);
    // Bad input comes back per field, and nothing changes.
    const bad = await rpc<AlertsSaveResult>('alerts:save', {
      ...off,
      mqtt: { ...off.mqtt, topic: 'a/#', url: 'http://x' },
    });
    expect(bad).toEqual({
      ok: false,
      errors: { 'mqtt.url': expect.stringMatching(/mqtt:\/\//), 'mqtt.topic': expect.stringMatching(/#/) },
    });
  });
});
