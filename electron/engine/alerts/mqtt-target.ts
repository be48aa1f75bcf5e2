/**
 * Alerts and rates over MQTT (the `mqtt` package), with Home Assistant's MQTT discovery
 * (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery): a retained config per router and rule
 * announces a sensor whose state is that pair's daily rate, an availability topic says whether DNS Witness
 * is there (the broker publishes "offline", our will, when the connection drops), and every alert goes to
 * TOPIC/alert. Only what the dashboard shows is sent.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import type { MqttSettings } from '@shared/alerts';
import type { LookupRate } from '@shared/watch/lookup-rate';
import type { WatchAlert } from '@shared/watch/messages';
import { alertJson, rateState, type AlertSource } from './payloads';

/** How long a publish (QoS 1: until the broker's PUBACK) and a connection may take. */
export const MQTT_TIMEOUT_MS = 5000;
/** While the broker is away, another connection attempt this often. */
const RECONNECT_MS = 15_000;

export interface MqttConnection extends MqttSettings {
  readonly password: string;
}

export interface RouterRuleRate {
  readonly rule: string;
  readonly router: string;
  readonly rate: LookupRate;
}

/** Lower-case letters, digits and "_": Home Assistant's object and node ids. */
export function haId(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The topics of one installation. */
export function mqttTopics(s: Pick<MqttSettings, 'topic' | 'discoveryPrefix'>, host: string) {
  const node = `dns_witness_${haId(host) || 'host'}`;
  return {
    node,
    availability: `${s.topic}/status`,
    alert: `${s.topic}/alert`,
    state: (router: string, rule: string) => `${s.topic}/rate/${haId(router)}/${haId(rule)}`,
    config: (router: string, rule: string) =>
      `${s.discoveryPrefix}/sensor/${node}/${haId(router)}_${haId(rule)}/config`,
  };
}

/**
 * The discovery config of the sensor for (router, rule): its state topic's `per_day` as the value (null, "too
 * early to tell", renders None, which Home Assistant shows as unknown), the rest of the state as attributes.
 */
export function discoveryConfig(
  s: Pick<MqttSettings, 'topic' | 'discoveryPrefix'>,
  source: AlertSource,
  router: string,
  rule: string,
  ruleName: string,
) {
  const t = mqttTopics(s, source.host);
  const object = `${t.node}_${haId(router)}_${haId(rule)}`;
  return {
    name: `${ruleName} lookups a day`,
    unique_id: object,
    state_topic: t.state(router, rule),
    value_template: '{{ value_json.per_day }}',
    json_attributes_topic: t.state(router, rule),
    unit_of_measurement: 'lookups/d',
    state_class: 'measurement',
    icon: 'mdi:router-network',
    availability_topic: t.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    device: {
      identifiers: [`${t.node}_${haId(router)}`],
      name: `Router ${router}`,
      manufacturer: 'DNS Witness',
      model: 'Router seen by DNS Witness',
      sw_version: source.version,
    },
    origin: { name: 'DNS Witness', sw_version: source.version },
  };
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${MQTT_TIMEOUT_MS / 1000} s`)),
      MQTT_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One broker connection: connects at once and again after a loss (every 15 s while the broker is away),
 * announces itself online (retained) with "offline" as its will, and publishes only while connected; what
 * cannot be sent fails at once (the delivery queue counts it) instead of piling up in the client.
 */
export class MqttTarget {
  private readonly client: MqttClient;
  private readonly topics: ReturnType<typeof mqttTopics>;
  /** Sensors announced and the state last published for each, so only changes are sent. */
  private readonly announced = new Set<string>();
  private readonly published = new Map<string, string>();
  private error = '';
  private latest: readonly RouterRuleRate[] = [];

  constructor(
    private readonly settings: MqttConnection,
    private readonly source: AlertSource,
    private readonly ruleName: (rule: string) => string,
    /** Connected or not, with why not. */
    private readonly onChange: () => void = () => undefined,
  ) {
    this.topics = mqttTopics(settings, source.host);
    this.client = connect(settings.url, {
      clientId: `${this.topics.node}_${randomBytes(3).toString('hex')}`,
      username: settings.username || undefined,
      password: settings.password || undefined,
      // No MQTT keep-alive pings (a timer every minute while nothing happens); the socket's TCP keep-alive,
      // kept by the kernel, lets the broker notice a vanished host and publish our will.
      keepalive: 0,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: MQTT_TIMEOUT_MS,
      // Nothing waits inside the client while it is offline: our queue decides what is dropped.
      queueQoSZero: false,
      will: { topic: this.topics.availability, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      (this.client.stream as Partial<Socket>).setKeepAlive?.(true, 60_000);
      this.error = '';
      this.announced.clear();
      this.published.clear();
      this.onChange();
      void this.client
        .publishAsync(this.topics.availability, 'online', { qos: 1, retain: true })
        .then(() => this.publishRates(this.latest))
        .catch(() => undefined);
    });
    this.client.on('error', (err) => {
      this.error = err.message;
      this.onChange();
    });
    this.client.on('close', () => this.onChange());
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Why it is not connected ("" when it is). */
  get problem(): string {
    return this.connected ? '' : this.error || 'not connected to the broker yet';
  }

  /** The error that keeps it from the broker ("" while connected, or while the first attempt runs). */
  get failure(): string {
    return this.connected ? '' : this.error;
  }

  /** Resolves once connected; rejects after MQTT_TIMEOUT_MS with the reason. */
  async ready(): Promise<void> {
    if (this.connected) return;
    await withTimeout(
      new Promise<void>((resolve) => this.client.once('connect', () => resolve())),
      `MQTT broker ${this.settings.url}${this.error ? ` (${this.error})` : ''}`,
    );
  }

  /** Publishes `alert` to TOPIC/alert (QoS 1, not retained). Rejects when not connected or not acknowledged. */
  async publishAlert(alert: WatchAlert, test: boolean): Promise<void> {
    if (!this.connected) throw new Error(`MQTT: ${this.problem}`);
    const body = JSON.stringify(alertJson(alert, this.source, test));
    await withTimeout(this.client.publishAsync(this.topics.alert, body, { qos: 1 }), 'MQTT publish');
  }

  /**
   * Publishes each (router, rule)'s state where it changed (retained), announcing its sensor first when
   * discovery is on. Kept for the next connection when not connected.
   */
  async publishRates(rates: readonly RouterRuleRate[]): Promise<void> {
    this.latest = rates;
    if (!this.connected) return;
    for (const { rule, router, rate } of rates) {
      const key = `${router} ${rule}`;
      if (this.settings.discoveryPrefix !== '' && !this.announced.has(key)) {
        const config = discoveryConfig(this.settings, this.source, router, rule, this.ruleName(rule));
        await withTimeout(
          this.client.publishAsync(this.topics.config(router, rule), JSON.stringify(config), {
            qos: 1,
            retain: true,
          }),
          'MQTT publish',
        );
        this.announced.add(key);
      }
      const state = JSON.stringify(rateState(rule, router, rate));
      if (this.published.get(key) === state) continue;
      await withTimeout(
        this.client.publishAsync(this.topics.state(router, rule), state, { qos: 1, retain: true }),
        'MQTT publish',
      );
      this.published.set(key, state);
    }
  }

  /** Says "offline" (retained) when connected, then disconnects. Never rejects. */
  async close(): Promise<void> {
    try {
      if (this.connected)
        await withTimeout(
          this.client.publishAsync(this.topics.availability, 'offline', { qos: 1, retain: true }),
          'MQTT publish',
        );
    } catch {
      // Going away anyway: the broker publishes the will.
    }
    await this.client.endAsync(true).catch(() => undefined);
  }
}
