import { useEffect, useState } from 'react';
import type { RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import {
  CONFIG_FLAGS,
  splitList,
  validateConfigValues,
  type ConfigErrors,
  type ConfigField,
  type ConfigValues,
  type ConfigView,
} from '@shared/config';
import { AlertsSettings } from './AlertsSettings';
import { submitSettings } from '../lib/settings-form';
import { Modal } from './Modal';
import { ThemeSection } from './ThemeSection';
import { SettingsFooter } from './SettingsFooter';

type Invoke = <K extends RequestChannel>(channel: K, args: RequestArgs<K>) => Promise<RequestResult<K>>;

interface Props {
  readonly invoke: Invoke;
  readonly onClose: () => void;
}

/** The form's text for each field. */
type Draft = Record<ConfigField, string>;

function draftOf(v: ConfigValues): Draft {
  return {
    listen: v.listen.join('\n'),
    upstreams: v.upstreams.join('\n'),
    allow: v.allow.join('\n'),
    retentionDays: String(v.retentionDays),
    dataDir: v.dataDir,
    dnstapOut: (v.dnstapOut ?? []).join('\n'),
  };
}

function valuesOf(d: Draft): ConfigValues {
  const days = d.retentionDays.trim();
  return {
    listen: splitList(d.listen),
    upstreams: splitList(d.upstreams),
    allow: splitList(d.allow),
    // Not a whole number: NaN, which validation refuses with the field's message.
    retentionDays: /^\d+$/.test(days) ? Number(days) : Number.NaN,
    dataDir: d.dataDir.trim(),
    dnstapOut: splitList(d.dnstapOut),
  };
}

const FIELDS: readonly { field: ConfigField; label: string; hint: string; list: boolean }[] = [
  {
    field: 'listen',
    label: 'Listen addresses',
    hint: 'Addresses of this computer, one per line (port 53 unless given). Empty: every LAN address and loopback.',
    list: true,
  },
  {
    field: 'upstreams',
    label: 'Upstream resolvers',
    hint: 'Tried in order, one per line. Empty: 1.1.1.1 and 9.9.9.9. Never your router.',
    list: true,
  },
  {
    field: 'allow',
    label: 'Also answer these ranges',
    hint: 'CIDR ranges, one per line. Loopback and private networks are always answered.',
    list: true,
  },
  {
    field: 'retentionDays',
    label: 'Keep stopped captures (days)',
    hint: '0 keeps them forever.',
    list: false,
  },
  { field: 'dataDir', label: 'Data folder', hint: 'A full path. Empty: the app’s data folder.', list: false },
  {
    field: 'dnstapOut',
    label: 'dnstap outputs',
    hint: 'Readers that get every exchange as dnstap, one per line: unix:/run/dnstap.sock or tcp:127.0.0.1:6000.',
    list: true,
  },
];

/** Settings kept across restarts; command-line flags win, and the form says where they do. */
export function SettingsPanel({ invoke, onClose }: Props) {
  const [view, setView] = useState<ConfigView | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<ConfigErrors>({});
  const [message, setMessage] = useState('');
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    invoke('config:get', undefined)
      .then((v) => {
        setView(v);
        setDraft(draftOf(v.values));
      })
      .catch((err: unknown) => setMessage(`Could not read the settings: ${String(err)}`));
  }, [invoke]);

  const save = () => {
    if (!draft) return;
    submitSettings({
      values: valuesOf(draft),
      check: validateConfigValues,
      send: (values) => invoke('config:save', values),
      saved: (r) => {
        setView(r.view);
        setDraft(draftOf(r.view.values));
      },
      setErrors,
      setMessage,
      setBusy: setSaving,
    });
  };

  return (
    <Modal title="Settings" onClose={onClose} testId="settings">
      <ThemeSection invoke={invoke} />
      {!view || !draft ? (
        <p className="muted">{message || 'Loading…'}</p>
      ) : (
        <form
          className="settings-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          {FIELDS.map(({ field, label, hint, list }) => {
            const id = `setting-${field}`;
            const error = errors[field];
            const fromFlag = view.commandLine.includes(field);
            const effective = view.effective[field];
            return (
              <div className={error ? 'setting invalid' : 'setting'} key={field} data-field={field}>
                <label htmlFor={id}>{label}</label>
                {list ? (
                  <textarea
                    id={id}
                    rows={3}
                    spellCheck={false}
                    value={draft[field]}
                    placeholder={Array.isArray(effective) ? effective.join('\n') : ''}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
                    onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
                  />
                ) : (
                  <input
                    id={id}
                    type="text"
                    inputMode={field === 'retentionDays' ? 'numeric' : undefined}
                    spellCheck={false}
                    value={draft[field]}
                    placeholder={field === 'dataDir' ? String(effective) : ''}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
                    onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
                  />
                )}
                <p className="setting-hint" id={`${id}-hint`}>
                  {hint}
                  {fromFlag && (
                    <>
                      {' '}
                      <strong>
                        Set by {CONFIG_FLAGS[field]} on the command line
                        {Array.isArray(effective) ? ` (${effective.join(', ')})` : ` (${String(effective)})`}:
                        the saved value applies when started without it.
                      </strong>
                    </>
                  )}
                  {view.restartNeeded.includes(field) && <strong> Changes at the next start.</strong>}
                </p>
                {error && (
                  <p className="setting-error" id={`${id}-error`} role="alert">
                    {error}
                  </p>
                )}
              </div>
            );
          })}
          <SettingsFooter
            file={view.file}
            saving={saving}
            label="Save"
            message={message}
            testId="settings-message"
          />
        </form>
      )}
      <AlertsSettings invoke={invoke} />
    </Modal>
  );
}
