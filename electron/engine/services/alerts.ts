import {
  validateAlertSettings,
  type AlertSettingsInput,
  type AlertsSaveResult,
  type AlertTarget,
  type AlertTestResult,
  type AlertsView,
} from '@shared/alerts';
import type { WatchAlert } from '@shared/watch/messages';
import { join } from 'node:path';
import { ALERTS_FILE, loadAlerts, NOTHING_SAVED, saveAlerts, type SavedAlerts } from '../alerts/alerts-store';
import { DeliveryQueue } from '../alerts/delivery-queue';
import { MqttTarget, type RouterRuleRate } from '../alerts/mqtt-target';
import { alertJson, ntfyRequest, testAlert, type AlertSource } from '../alerts/payloads';
import type { ExchangeRecord } from '../capture';
import type { Clock } from '../clock';
import type { EngineEmitter } from './events';

/** How long an HTTP delivery (webhook, ntfy) may take, connection included. */
export const HTTP_TIMEOUT_MS = 5000;
/** The MQTT sensors' states are published at most this often while watched lookups come in. */
export const RATE_PUBLISH_MS = 10_000;
/** After an alert, its new sensor is announced this soon. */
const NEW_SENSOR_MS = 500;

export interface AlertsDeps {
  readonly dataDir: string;
  readonly events: EngineEmitter;
  readonly clock: Clock;
  readonly source: AlertSource;
  /** Each router's lookups per rule with its rate, as the watchlist states it. */
  rates(): RouterRuleRate[];
  /** "Avira SafeThings" for a rule id. */
  ruleName(rule: string): string;
  warn(message: string): void;
}

interface Delivery {
  readonly alert: WatchAlert;
  readonly test: boolean;
}

/** POSTs `body`; rejects with a readable Error for a network failure, a timeout or a status other than 2xx. */
async function post(url: string, headers: Record<string, string>, body: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') throw new Error(`${url}: no answer within ${HTTP_TIMEOUT_MS / 1000} s`);
    throw new Error(`${url}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
  // The answer is not needed; reading it frees the connection.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`.trim());
}

/**
 * Sends watchlist alerts where the user asked (Settings → Alerts; all off by default): a webhook, ntfy and
 * MQTT with Home Assistant discovery. An alert is the toast the dashboard shows (connectivity checks are
 * not alarmed about there, nor here); MQTT also carries each router's rate per rule. Every target has its
 * own bounded queue and timeouts, and sends after the DNS work that raised the alert: nothing here can
 * delay an answer. Failures show in Settings, /api/health and /metrics.
 */
export class AlertsService {
  private saved: SavedAlerts = NOTHING_SAVED;
  private readonly queues: { readonly [T in AlertTarget]: DeliveryQueue<Delivery> };
  private mqtt: MqttTarget | null = null;
  private rateTimer: unknown = null;
  private saving: Promise<unknown> = Promise.resolve();
  private readonly off: () => void;

  constructor(private readonly deps: AlertsDeps) {
    const now = () => deps.clock.now();
    this.queues = {
      webhook: new DeliveryQueue((d) => this.sendWebhook(d), now),
      ntfy: new DeliveryQueue((d) => this.sendNtfy(d), now),
      mqtt: new DeliveryQueue((d) => this.sendMqtt(d), now),
    };
    this.off = deps.events.on('watchAlert', (alert) => this.alert(alert));
  }

  /** Reads the saved targets and connects to the MQTT broker when it is on. Never rejects. */
  async load(): Promise<void> {
    this.saved = await loadAlerts(this.deps.dataDir, this.deps.warn);
    this.applyMqtt();
  }

  /** On the DNS path: a watched lookup may change a sensor's rate, published within RATE_PUBLISH_MS. */
  record(rec: ExchangeRecord): void {
    if (rec.watchRule !== '' && this.mqtt !== null && this.rateTimer === null) this.scheduleRates();
  }

  view(): AlertsView {
    const s = this.saved;
    const { token, ...ntfy } = s.ntfy;
    const { password, ...mqtt } = s.mqtt;
    return {
      webhook: { ...s.webhook, status: this.queues.webhook.status() },
      ntfy: { ...ntfy, tokenSet: token !== '', status: this.queues.ntfy.status() },
      mqtt: {
        ...mqtt,
        passwordSet: password !== '',
        connected: this.mqtt?.connected ?? false,
        status: this.queues.mqtt.status(),
      },
      file: join(this.deps.dataDir, ALERTS_FILE),
    };
  }

  /** Validates, saves and applies the targets; a secret left out is kept, "" removes it. */
  save(input: AlertSettingsInput): Promise<AlertsSaveResult> {
    const run = this.saving.then(() => this.saveNow(input));
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** Sends a test alert to `target` with its saved settings, switched on or not; says what happened. */
  async test(target: AlertTarget): Promise<AlertTestResult> {
    const where = this.address(target);
    if (where === '') return { ok: false, message: `Save an address for ${target} first.` };
    const delivery = { alert: testAlert(this.deps.clock.now()), test: true };
    try {
      await this.queues[target].sendNow(delivery);
      return { ok: true, message: `Sent a test to ${where}.` };
    } catch (err) {
      return { ok: false, message: `The test did not reach ${where}: ${(err as Error).message}` };
    }
  }

  /** Targets that are on but failing now: the last delivery failed, or MQTT is not connected. */
  problems(): { target: AlertTarget; error: string }[] {
    const out: { target: AlertTarget; error: string }[] = [];
    for (const target of ['webhook', 'ntfy', 'mqtt'] as const) {
      if (!this.saved[target].enabled) continue;
      const s = this.queues[target].status();
      if (s.lastError !== '' && s.lastErrorAt >= s.lastSentAt) out.push({ target, error: s.lastError });
      else if (target === 'mqtt' && this.mqtt && this.mqtt.failure !== '')
        out.push({ target, error: `not connected to the broker (${this.mqtt.failure})` });
    }
    return out;
  }

  /** Deliveries per target, for /metrics. */
  deliveries(): { target: AlertTarget; sent: number; failed: number; dropped: number }[] {
    return (['webhook', 'ntfy', 'mqtt'] as const).map((target) => {
      const { sent, failed, dropped } = this.queues[target].status();
      return { target, sent, failed, dropped };
    });
  }

  /** Drops pending sends, says "offline" on MQTT and disconnects. */
  async close(): Promise<void> {
    this.off();
    if (this.rateTimer !== null) this.deps.clock.clearTimeout(this.rateTimer);
    this.rateTimer = null;
    for (const q of Object.values(this.queues)) q.clear();
    const mqtt = this.mqtt;
    this.mqtt = null;
    await mqtt?.close();
  }

  private alert(alert: WatchAlert): void {
    // The dashboard shows connectivity checks without a toast: nothing is sent for them either.
    if (alert.category === 'connectivity') return;
    for (const target of ['webhook', 'ntfy', 'mqtt'] as const)
      if (this.saved[target].enabled) this.queues[target].push({ alert, test: false });
    if (this.mqtt !== null) this.scheduleRates(NEW_SENSOR_MS);
  }

  private address(target: AlertTarget): string {
    return this.saved[target].url;
  }

  private sendWebhook({ alert, test }: Delivery): Promise<void> {
    const body = JSON.stringify(alertJson(alert, this.deps.source, test));
    return post(
      this.saved.webhook.url,
      { 'content-type': 'application/json', 'user-agent': `DNS-Witness/${this.deps.source.version}` },
      body,
    );
  }

  private sendNtfy({ alert, test }: Delivery): Promise<void> {
    const { headers, body } = ntfyRequest(alert, test);
    const token = this.saved.ntfy.token;
    return post(
      this.saved.ntfy.url,
      token ? { ...headers, authorization: `Bearer ${token}` } : headers,
      body,
    );
  }

  private async sendMqtt({ alert, test }: Delivery): Promise<void> {
    if (this.mqtt !== null) return this.mqtt.publishAlert(alert, test);
    // Switched off: the test button still tries the saved broker, on a connection of its own.
    const once = this.connectMqtt();
    try {
      await once.ready();
      await once.publishAlert(alert, test);
    } finally {
      await once.close();
    }
  }

  private connectMqtt(): MqttTarget {
    return new MqttTarget(this.saved.mqtt, this.deps.source, this.deps.ruleName);
  }

  /** Connects, reconnects or disconnects MQTT to match the saved settings. */
  private applyMqtt(): void {
    const old = this.mqtt;
    this.mqtt = this.saved.mqtt.enabled && this.saved.mqtt.url !== '' ? this.connectMqtt() : null;
    if (old) void old.close();
    if (this.mqtt) this.scheduleRates(0);
  }

  /** Publishes the rates in `ms`, or sooner when a publish is already due. */
  private scheduleRates(ms = RATE_PUBLISH_MS): void {
    if (this.rateTimer !== null) {
      if (ms >= RATE_PUBLISH_MS) return;
      this.deps.clock.clearTimeout(this.rateTimer);
    }
    this.rateTimer = this.deps.clock.setTimeout(() => {
      this.rateTimer = null;
      const mqtt = this.mqtt;
      if (!mqtt) return;
      let rates: RouterRuleRate[];
      try {
        rates = this.deps.rates();
      } catch {
        return;
      }
      mqtt.publishRates(rates).catch(() => undefined);
    }, ms);
  }

  private async saveNow(input: AlertSettingsInput): Promise<AlertsSaveResult> {
    const checked = validateAlertSettings(input);
    if (!checked.ok) return { ok: false, errors: checked.errors };
    const v = checked.values;
    const prev = this.saved;
    const secret = (change: string | undefined, kept: string) =>
      change === undefined ? kept : change.trim();
    const next: SavedAlerts = {
      webhook: v.webhook,
      ntfy: { ...v.ntfy, token: secret(v.ntfy.token, prev.ntfy.token) },
      mqtt: { ...v.mqtt, password: secret(v.mqtt.password, prev.mqtt.password) },
    };
    await saveAlerts(this.deps.dataDir, next);
    this.saved = next;
    for (const target of ['webhook', 'ntfy'] as const)
      if (JSON.stringify(prev[target]) !== JSON.stringify(next[target])) this.queues[target].clear();
    if (JSON.stringify(prev.mqtt) !== JSON.stringify(next.mqtt)) {
      this.queues.mqtt.clear();
      this.applyMqtt();
    }
    const on = (['webhook', 'ntfy', 'mqtt'] as const).filter((t) => next[t].enabled);
    return {
      ok: true,
      view: this.view(),
      message:
        on.length === 0
          ? 'Saved. No alerts are sent.'
          : `Saved. Watchlist alerts go to ${on.map((t) => (t === 'mqtt' ? 'MQTT' : t)).join(', ')}.`,
    };
  }
}
