/**
 * Where a watchlist alert goes besides the dashboard's toast: a webhook (HTTP POST, JSON), ntfy (HTTP publish
 * to a topic URL) and MQTT (with Home Assistant discovery: a sensor per router and rule with its rate). What
 * the Settings panel sends and shows, and the checks both the form and the engine make. Secrets (the ntfy
 * token, the MQTT password) go in, never out: the view says only whether one is stored. Pure (no Node).
 */
import { z } from 'zod';

export const ALERT_TARGETS = ['webhook', 'ntfy', 'mqtt'] as const;
export type AlertTarget = (typeof ALERT_TARGETS)[number];

/** The title the dashboard's toast has, and every alert sent carries. */
export const ALERT_TITLE = 'Router telemetry detected';

/** Longest URL, topic and credential, in characters. */
export const ALERT_URL_MAX = 2048;
export const ALERT_TOPIC_MAX = 100;
export const ALERT_SECRET_MAX = 512;

export const DEFAULT_MQTT_TOPIC = 'dns-witness';
export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

/**
 * A secret as the form sends it: absent keeps the stored one, "" removes it, anything else replaces it.
 * The form never has the stored value to send back.
 */
export type SecretChange = string | undefined;

export interface WebhookSettings {
  readonly enabled: boolean;
  /** http(s)://…; every alert is POSTed there as JSON. */
  readonly url: string;
}

export interface NtfySettings {
  readonly enabled: boolean;
  /** The topic's URL, e.g. https://ntfy.sh/my-router-alerts. */
  readonly url: string;
}

export interface MqttSettings {
  readonly enabled: boolean;
  /** mqtt://host:1883 or mqtts://host:8883. */
  readonly url: string;
  readonly username: string;
  /** Alerts, availability and the sensors' states go under this topic. */
  readonly topic: string;
  /** Home Assistant's discovery prefix; "" sends no discovery. */
  readonly discoveryPrefix: string;
}

/** What alerts:save takes. */
export interface AlertSettingsInput {
  readonly webhook: WebhookSettings;
  readonly ntfy: NtfySettings & { readonly token?: SecretChange };
  readonly mqtt: MqttSettings & { readonly password?: SecretChange };
}

/** How one target fared since the service started. */
export interface AlertTargetStatus {
  readonly sent: number;
  readonly failed: number;
  /** Alerts dropped because the target's queue was full. */
  readonly dropped: number;
  /** The last failure ("" after a success). */
  readonly lastError: string;
  /** Epoch ms of the last success and the last failure (0: none). */
  readonly lastSentAt: number;
  readonly lastErrorAt: number;
}

/** What alerts:get answers: the settings without secrets, whether each secret is stored, and each target's state. */
export interface AlertsView {
  readonly webhook: WebhookSettings & { readonly status: AlertTargetStatus };
  readonly ntfy: NtfySettings & { readonly tokenSet: boolean; readonly status: AlertTargetStatus };
  readonly mqtt: MqttSettings & {
    readonly passwordSet: boolean;
    /** Whether the broker connection is up now. */
    readonly connected: boolean;
    readonly status: AlertTargetStatus;
  };
  /** Where the settings are kept. */
  readonly file: string;
}

/** A field of the form, for messages next to it: "webhook.url", "mqtt.topic", … */
export type AlertField =
  | 'webhook.url'
  | 'ntfy.url'
  | 'ntfy.token'
  | 'mqtt.url'
  | 'mqtt.username'
  | 'mqtt.password'
  | 'mqtt.topic'
  | 'mqtt.discoveryPrefix';
export type AlertErrors = Partial<Record<AlertField, string>>;

export type AlertsSaveResult =
  | { readonly ok: true; readonly view: AlertsView; readonly message: string }
  | { readonly ok: false; readonly errors: AlertErrors };

export interface AlertTestResult {
  readonly ok: boolean;
  /** One line for the user: what was sent where, or why it failed. */
  readonly message: string;
}

export const NO_ALERTS: AlertSettingsInput = {
  webhook: { enabled: false, url: '' },
  ntfy: { enabled: false, url: '' },
  mqtt: {
    enabled: false,
    url: '',
    username: '',
    topic: DEFAULT_MQTT_TOPIC,
    discoveryPrefix: DEFAULT_DISCOVERY_PREFIX,
  },
};

function urlProblem(text: string, schemes: readonly string[], example: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `“${text.slice(0, 60)}” is not an address, e.g. ${example}.`;
  }
  if (!schemes.includes(url.protocol))
    return `Use ${schemes.map((s) => `${s}//`).join(' or ')}, e.g. ${example}.`;
  if (url.username !== '' || url.password !== '')
    return 'Put no user name or password in the address: use the fields for them.';
  if (url.hostname === '') return `The address needs a host, e.g. ${example}.`;
  return '';
}

/** An MQTT topic to publish under: no wildcards (+, #), no empty level at either end (MQTT 3.1.1, 4.7). */
function topicProblem(topic: string, what: string): string {
  if (topic.length > ALERT_TOPIC_MAX)
    return `The ${what} is too long (at most ${ALERT_TOPIC_MAX} characters).`;
  if (/[+#\p{Cc}]/u.test(topic)) return `The ${what} cannot contain +, # or control characters.`;
  if (topic.startsWith('/') || topic.endsWith('/') || topic.includes('//'))
    return `The ${what} cannot start or end with “/” or have an empty level.`;
  return '';
}

/**
 * Checks the form: addresses only for enabled targets (a disabled one may keep a half-typed address), topics
 * always. Returns the values trimmed, or a message per field. Pure: the form and the engine both use it.
 */
export function validateAlertSettings(
  input: AlertSettingsInput,
):
  | { readonly ok: true; readonly values: AlertSettingsInput }
  | { readonly ok: false; readonly errors: AlertErrors } {
  const errors: AlertErrors = {};
  const webhook = { enabled: input.webhook.enabled, url: input.webhook.url.trim() };
  const ntfy = { enabled: input.ntfy.enabled, url: input.ntfy.url.trim(), token: input.ntfy.token?.trim() };
  const m = input.mqtt;
  const mqtt = {
    enabled: m.enabled,
    url: m.url.trim(),
    username: m.username.trim(),
    password: m.password,
    topic: m.topic.trim() || DEFAULT_MQTT_TOPIC,
    discoveryPrefix: m.discoveryPrefix.trim(),
  };
  const http = ['http:', 'https:'];
  const check = (field: AlertField, enabled: boolean, text: string, problem: () => string) => {
    if (text.length > ALERT_URL_MAX) errors[field] = 'The address is too long.';
    else if (text !== '' || enabled) {
      const p = text === '' ? 'Enter the address, or switch this off.' : problem();
      if (p !== '') errors[field] = p;
    }
  };
  check('webhook.url', webhook.enabled, webhook.url, () =>
    urlProblem(webhook.url, http, 'http://homeassistant.local:8123/api/webhook/dns-witness'),
  );
  check('ntfy.url', ntfy.enabled, ntfy.url, () => urlProblem(ntfy.url, http, 'https://ntfy.sh/my-router'));
  check('mqtt.url', mqtt.enabled, mqtt.url, () =>
    urlProblem(mqtt.url, ['mqtt:', 'mqtts:'], 'mqtt://192.168.0.10:1883'),
  );
  if ((ntfy.token ?? '').length > ALERT_SECRET_MAX) errors['ntfy.token'] = 'The token is too long.';
  if (/\s/.test(ntfy.token ?? '')) errors['ntfy.token'] = 'A token has no spaces.';
  if (mqtt.username.length > ALERT_SECRET_MAX) errors['mqtt.username'] = 'The user name is too long.';
  if ((mqtt.password ?? '').length > ALERT_SECRET_MAX) errors['mqtt.password'] = 'The password is too long.';
  const topic = topicProblem(mqtt.topic, 'topic');
  if (topic) errors['mqtt.topic'] = topic;
  const discovery = mqtt.discoveryPrefix === '' ? '' : topicProblem(mqtt.discoveryPrefix, 'discovery prefix');
  if (discovery) errors['mqtt.discoveryPrefix'] = discovery;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, values: { webhook, ntfy, mqtt } };
}

const secret = z
  .string()
  .max(ALERT_SECRET_MAX * 2)
  .optional();
const url = z.string().max(ALERT_URL_MAX * 2);

/** The alerts:save payload: loose on purpose, so a wrong entry comes back as a message next to its field. */
export const alertSettingsSchema = z
  .object({
    webhook: z.object({ enabled: z.boolean(), url }).strict(),
    ntfy: z.object({ enabled: z.boolean(), url, token: secret }).strict(),
    mqtt: z
      .object({
        enabled: z.boolean(),
        url,
        username: z.string().max(ALERT_SECRET_MAX * 2),
        password: secret,
        topic: z.string().max(ALERT_TOPIC_MAX * 4),
        discoveryPrefix: z.string().max(ALERT_TOPIC_MAX * 4),
      })
      .strict(),
  })
  .strict();

export const alertTestSchema = z.object({ target: z.enum(ALERT_TARGETS) }).strict();
