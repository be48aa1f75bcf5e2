import { useEffect, useState, type ReactNode } from 'react';
import type { RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import {
  validateAlertSettings,
  type AlertErrors,
  type AlertField,
  type AlertSettingsInput,
  type AlertTarget,
  type AlertTargetStatus,
  type AlertsView,
} from '@shared/alerts';
import { isoLocal } from '@shared/time';
import { submitSettings } from '../lib/settings-form';
import { SettingsFooter } from './SettingsFooter';

type Invoke = <K extends RequestChannel>(channel: K, args: RequestArgs<K>) => Promise<RequestResult<K>>;

/** The form: the view's settings, and what the user typed for the secrets ("" = keep; null = remove). */
interface Draft {
  readonly settings: AlertSettingsInput;
  readonly token: string | null;
  readonly password: string | null;
}

function draftOf(v: AlertsView): Draft {
  const { status: _w, ...webhook } = v.webhook;
  const { status: _n, tokenSet: _t, ...ntfy } = v.ntfy;
  const { status: _m, passwordSet: _p, connected: _c, ...mqtt } = v.mqtt;
  return { settings: { webhook, ntfy, mqtt }, token: '', password: '' };
}

/** A secret change: nothing typed keeps the stored one, "remove" sends "". */
function secretOf(typed: string | null): string | undefined {
  if (typed === null) return '';
  return typed === '' ? undefined : typed;
}

function input(d: Draft): AlertSettingsInput {
  return {
    webhook: d.settings.webhook,
    ntfy: { ...d.settings.ntfy, token: secretOf(d.token) },
    mqtt: { ...d.settings.mqtt, password: secretOf(d.password) },
  };
}

function statusText(s: AlertTargetStatus, extra = ''): string {
  const parts = [`${s.sent} sent`];
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  if (s.dropped > 0) parts.push(`${s.dropped} dropped (queue full)`);
  if (s.lastError !== '' && s.lastErrorAt >= s.lastSentAt)
    parts.push(`last failure ${isoLocal(s.lastErrorAt).slice(11, 19)}: ${s.lastError}`);
  return [extra, parts.join(' · ')].filter((p) => p !== '').join(' · ');
}

const TARGET_NAMES: Readonly<Record<AlertTarget, string>> = {
  webhook: 'Webhook',
  ntfy: 'ntfy',
  mqtt: 'MQTT',
};

/**
 * Settings → Alerts: where a watchlist alert goes besides the toast (all off by default), a "Send a test"
 * button per target, and how each target fared. Stored secrets are never shown: the field says whether one
 * is kept, typing replaces it.
 */
export function AlertsSettings({ invoke }: { readonly invoke: Invoke }) {
  const [view, setView] = useState<AlertsView | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<AlertErrors>({});
  const [message, setMessage] = useState('');
  const [tests, setTests] = useState<Partial<Record<AlertTarget, { ok: boolean; message: string }>>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    invoke('alerts:get', undefined)
      .then((v) => {
        setView(v);
        setDraft(draftOf(v));
      })
      .catch((err: unknown) => setMessage(`Could not read the alert settings: ${String(err)}`));
  }, [invoke]);

  const on = view ? (['webhook', 'ntfy', 'mqtt'] as const).filter((t) => view[t].enabled) : [];
  // Closed at first: the Settings above are what most people come for.
  const section = (children: ReactNode) => (
    <details className="alerts-section" data-testid="alerts-section">
      <summary>
        <h3 id="alerts-heading">Alerts</h3>
        <span className="muted">
          {view ? (on.length === 0 ? 'off' : `to ${on.map((t) => TARGET_NAMES[t]).join(', ')}`) : ''}
        </span>
      </summary>
      {children}
    </details>
  );
  if (!view || !draft) return section(<p className="muted">{message || 'Loading the alert settings…'}</p>);

  const set = <T extends AlertTarget>(target: T, change: Partial<AlertSettingsInput[T]>) =>
    setDraft({
      ...draft,
      settings: { ...draft.settings, [target]: { ...draft.settings[target], ...change } },
    });

  const save = () =>
    submitSettings({
      values: input(draft),
      check: validateAlertSettings,
      send: (values) => invoke('alerts:save', values),
      saved: (r) => {
        setView(r.view);
        setDraft(draftOf(r.view));
      },
      setErrors,
      setMessage,
      setBusy,
    });

  const test = (target: AlertTarget) => {
    setTests((t) => ({ ...t, [target]: { ok: true, message: 'Sending…' } }));
    invoke('alerts:test', { target })
      .then((r) => setTests((t) => ({ ...t, [target]: r })))
      .catch((err: unknown) => setTests((t) => ({ ...t, [target]: { ok: false, message: String(err) } })))
      .finally(() => void invoke('alerts:get', undefined).then(setView, () => undefined));
  };

  const field = (
    f: AlertField,
    label: string,
    value: string,
    onChange: (v: string) => void,
    opts: { hint?: ReactNode; type?: string; placeholder?: string } = {},
  ) => {
    const id = `alert-${f.replace('.', '-')}`;
    const error = errors[f];
    return (
      <div className={error ? 'setting invalid' : 'setting'} data-field={f}>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type={opts.type ?? 'text'}
          spellCheck={false}
          autoComplete="off"
          value={value}
          placeholder={opts.placeholder}
          aria-invalid={error ? true : undefined}
          aria-describedby={
            [opts.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].join(' ').trim() || undefined
          }
          onChange={(e) => onChange(e.target.value)}
        />
        {opts.hint && (
          <p className="setting-hint" id={`${id}-hint`}>
            {opts.hint}
          </p>
        )}
        {error && (
          <p className="setting-error" id={`${id}-error`} role="alert">
            {error}
          </p>
        )}
      </div>
    );
  };

  const secret = (
    f: 'ntfy.token' | 'mqtt.password',
    label: string,
    stored: boolean,
    typed: string | null,
    onChange: (v: string | null) => void,
  ) => (
    <>
      {field(f, label, typed ?? '', (v) => onChange(v), {
        type: 'password',
        placeholder: typed === null ? 'removed when you save' : stored ? 'stored (type to replace)' : 'none',
        hint: stored ? (
          <>
            A {f === 'ntfy.token' ? 'token' : 'password'} is stored; it is never shown.{' '}
            <button
              type="button"
              className="button small"
              onClick={() => onChange(typed === null ? '' : null)}
            >
              {typed === null ? 'Keep it' : 'Remove it'}
            </button>
          </>
        ) : undefined,
      })}
    </>
  );

  const target = (t: AlertTarget, title: string, hint: string, body: ReactNode, extra = '') => {
    const result = tests[t];
    return (
      <fieldset className="alert-target" data-target={t}>
        <legend>
          <label>
            <input
              type="checkbox"
              checked={draft.settings[t].enabled}
              onChange={(e) => set(t, { enabled: e.target.checked })}
            />{' '}
            {title}
          </label>
        </legend>
        <p className="setting-hint">{hint}</p>
        {body}
        <div className="alert-target-actions">
          <button
            type="button"
            className="button small"
            aria-label={`Send a test to ${TARGET_NAMES[t]}`}
            disabled={view[t].url === ''}
            title={
              view[t].url === '' ? 'Save an address first' : `Sends a test alert with the saved settings`
            }
            onClick={() => test(t)}
          >
            Send a test
          </button>
          <span className="muted" data-testid={`alert-status-${t}`}>
            {statusText(view[t].status, extra)}
          </span>
        </div>
        {result && (
          <p
            className={result.ok ? 'setting-hint' : 'setting-error'}
            role="status"
            data-testid={`alert-test-${t}`}
          >
            {result.message}
          </p>
        )}
      </fieldset>
    );
  };

  const s = draft.settings;
  return section(
    <form
      className="settings-form alerts-form"
      noValidate
      aria-labelledby="alerts-heading"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <p className="setting-hint">
        When the router first contacts a watched service, the dashboard shows a toast. The same alert can go
        here too; nothing is sent until you switch a target on.
      </p>
      {target(
        'webhook',
        'Webhook',
        'Every alert is POSTed as JSON (Home Assistant, Node-RED, n8n …).',
        field('webhook.url', 'Address', s.webhook.url, (url) => set('webhook', { url }), {
          placeholder: 'http://homeassistant.local:8123/api/webhook/dns-witness',
        }),
      )}
      {target(
        'ntfy',
        'ntfy',
        'A push notification through an ntfy server: the topic’s address, and an access token if it needs one.',
        <>
          {field('ntfy.url', 'Topic address', s.ntfy.url, (url) => set('ntfy', { url }), {
            placeholder: 'https://ntfy.sh/my-router-alerts',
          })}
          {secret('ntfy.token', 'Access token', view.ntfy.tokenSet, draft.token, (token) =>
            setDraft({ ...draft, token }),
          )}
        </>,
      )}
      {target(
        'mqtt',
        'MQTT',
        'Alerts to TOPIC/alert, and for Home Assistant a sensor per router and rule with its daily rate.',
        <>
          {field('mqtt.url', 'Broker', s.mqtt.url, (url) => set('mqtt', { url }), {
            placeholder: 'mqtt://192.168.0.10:1883',
          })}
          {field('mqtt.username', 'User name', s.mqtt.username, (username) => set('mqtt', { username }))}
          {secret('mqtt.password', 'Password', view.mqtt.passwordSet, draft.password, (password) =>
            setDraft({ ...draft, password }),
          )}
          {field('mqtt.topic', 'Topic', s.mqtt.topic, (topic) => set('mqtt', { topic }))}
          {field(
            'mqtt.discoveryPrefix',
            'Home Assistant discovery prefix',
            s.mqtt.discoveryPrefix,
            (discoveryPrefix) => set('mqtt', { discoveryPrefix }),
            { hint: 'Empty: no discovery.' },
          )}
        </>,
        view.mqtt.enabled ? (view.mqtt.connected ? 'connected' : 'not connected') : '',
      )}
      <SettingsFooter
        file={view.file}
        saving={busy}
        label="Save alerts"
        message={message}
        testId="alerts-message"
      />
    </form>,
  );
}
