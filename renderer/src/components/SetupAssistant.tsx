import { useCallback, useEffect, useState } from 'react';
import type { RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import {
  fillSteps,
  menuPath,
  NO_DHCP_DNS,
  RESTORE_WARNING,
  ROUTER_BRANDS,
  routerGuide,
  type RouterBrand,
  type RouterSettingGuide,
} from '@shared/router-guides';
import type {
  SelfTestResult,
  SetupAdvice,
  SetupProgress,
  SetupProgressChange,
  SetupState,
} from '@shared/setup';
import { formatHostPort } from '../lib/format';
import { clockTime, routerTarget } from '../lib/setup-view';
import { Modal } from './Modal';
import { RestoreGuidance } from './RestoreGuidance';

type Invoke = <K extends RequestChannel>(channel: K, args: RequestArgs<K>) => Promise<RequestResult<K>>;

interface Props {
  readonly invoke: Invoke;
  readonly progress: SetupProgress;
  /** Saves a change of what the user did on the router; resolves with the saved progress. */
  readonly onProgress: (change: SetupProgressChange) => void;
  /** The router's first query arrived while the assistant waited. */
  readonly onRouterSeen: () => void;
  /** Closed (dismissed or finished): it does not open by itself again. */
  readonly onClose: () => void;
}

const STEPS = ['This computer', 'Self-test', 'Your router', 'First query', 'Stop and restore'] as const;
/** How often the assistant asks for the port state and the router's first query while open. */
const POLL_MS = 1500;

const STATE_TEXT: Record<string, string> = {
  listening: 'Listening',
  error: 'Failed',
  free: 'Not used',
  'in-use': 'In use',
  denied: 'Needs permission',
  unknown: 'Unknown',
};

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first-run setup assistant: this computer, a self-test, the router's settings, the live check, restore. */
export function SetupAssistant({ invoke, progress, onProgress, onRouterSeen, onClose }: Props) {
  const [step, setStep] = useState(0);
  const [state, setState] = useState<SetupState | null>(null);
  const [error, setError] = useState('');
  // Router queries count from the moment the assistant opened: an old capture must not turn the check green.
  const [since] = useState(() => Date.now());
  const refresh = useCallback(() => {
    invoke('setup:state', { since })
      .then((s) => {
        setState(s);
        setError('');
      })
      .catch((err: unknown) => setError(`Could not read this computer’s state: ${errorText(err)}`));
  }, [invoke, since]);
  useEffect(() => {
    refresh();
    const timer = window.setInterval(refresh, POLL_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);
  const seen = state?.routerQuery ?? null;
  useEffect(() => {
    if (seen) onRouterSeen();
  }, [seen, onRouterSeen]);

  const target = state ? routerTarget(state.addresses) : null;
  return (
    <Modal title="Set up DNS Witness" onClose={onClose} wide testId="setup-assistant">
      <nav className="setup-steps" aria-label="Setup steps">
        {STEPS.map((label, i) => (
          <button
            key={label}
            type="button"
            aria-current={i === step ? 'step' : undefined}
            onClick={() => setStep(i)}
          >
            <span className="setup-step-n">{i + 1}</span> {label}
          </button>
        ))}
      </nav>
      {error !== '' && <p className="notice bad">{error}</p>}
      {step === 0 && <ComputerStep state={state} onRefresh={refresh} />}
      {step === 1 && <SelfTestStep invoke={invoke} />}
      {step === 2 && (
        <RouterStep
          address={target?.address ?? ''}
          ready={target?.state === 'listening' && target.port === 53}
          progress={progress}
          onProgress={onProgress}
        />
      )}
      {step === 3 && <WaitStep state={state} />}
      {step === 4 && <RestoreGuidance progress={progress} />}
      <div className="setup-nav">
        <button type="button" className="button" disabled={step === 0} onClick={() => setStep(step - 1)}>
          Back
        </button>
        {step < STEPS.length - 1 ? (
          <button type="button" className="button primary" onClick={() => setStep(step + 1)}>
            Next
          </button>
        ) : (
          <button type="button" className="button primary" onClick={onClose}>
            Finish
          </button>
        )}
      </div>
    </Modal>
  );
}

function ComputerStep({ state, onRefresh }: { state: SetupState | null; onRefresh: () => void }) {
  if (!state) return <p className="muted">Looking at this computer…</p>;
  return (
    <section aria-labelledby="setup-computer">
      <h3 id="setup-computer">This computer’s addresses and port 53</h3>
      <p className="muted">
        Your router sends DNS to one of these addresses, always on port 53. Give this computer a fixed address
        (a DHCP reservation in the router) so it does not change during the capture.
      </p>
      {state.addresses.length === 0 ? (
        <p className="notice warn">
          This computer has no network address besides loopback: connect it to your network.
        </p>
      ) : (
        <table className="setup-addresses">
          <thead>
            <tr>
              <th>Interface</th>
              <th>Address</th>
              <th>Port 53</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {state.addresses.map((a) => (
              <tr key={a.address} data-testid="setup-address" data-address={a.address} data-state={a.state}>
                <td>{a.iface}</td>
                <td className="mono">{formatHostPort(a.address, a.port)}</td>
                <td>
                  <span className={`port-state ${a.state}`}>{STATE_TEXT[a.state] ?? a.state}</span>
                </td>
                <td>{a.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {state.advice.map((a) => (
        <Advice key={a.id} advice={a} />
      ))}
      <button type="button" className="button small" onClick={onRefresh}>
        Check again
      </button>
    </section>
  );
}

function Advice({ advice }: { advice: SetupAdvice }) {
  return (
    <div className={`advice ${advice.severity}`} data-testid="setup-advice" data-id={advice.id}>
      <strong>{advice.title}</strong>
      <p>{advice.text}</p>
      {advice.commands.length > 0 && (
        <pre className="commands">
          {advice.commands.map((c) => (
            <code key={c}>{c}</code>
          ))}
        </pre>
      )}
    </div>
  );
}

function SelfTestStep({ invoke }: { invoke: Invoke }) {
  const [results, setResults] = useState<readonly SelfTestResult[] | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState('');
  const run = () => {
    setRunning(true);
    setError('');
    invoke('setup:self-test', undefined)
      .then(setResults)
      .catch((err: unknown) => setError(errorText(err)))
      .finally(() => setRunning(false));
  };
  return (
    <section aria-labelledby="setup-self-test">
      <h3 id="setup-self-test">Self-test</h3>
      <p className="muted">
        DNS Witness sends a real query to each address it listens on and checks that an upstream resolver
        answers it, as it will answer your router. The test name is reserved (it ends in .test) and is not
        recorded.
      </p>
      <button type="button" className="button primary" onClick={run} disabled={running}>
        {running ? 'Testing…' : 'Run the self-test'}
      </button>
      {error !== '' && <p className="notice bad">{error}</p>}
      {results && results.length === 0 && (
        <p className="notice bad" data-testid="self-test-result">
          DNS Witness listens nowhere yet: see step 1.
        </p>
      )}
      {results && (
        <ul className="self-test">
          {results.map((r) => (
            <li
              key={`${r.address}:${r.port}`}
              className={r.ok ? 'ok' : 'bad'}
              data-testid="self-test-result"
              data-ok={String(r.ok)}
            >
              <span className="result-mark" aria-hidden="true">
                {r.ok ? '✓' : '✗'}
              </span>
              {r.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RouterStep({
  address,
  ready,
  progress,
  onProgress,
}: {
  address: string;
  /** DNS Witness answers on `address` at port 53. */
  ready: boolean;
  progress: SetupProgress;
  onProgress: (change: SetupProgressChange) => void;
}) {
  const brand = progress.brand === '' ? null : routerGuide(progress.brand);
  const shown = address || 'this computer’s address';
  return (
    <section aria-labelledby="setup-router">
      <h3 id="setup-router">Point your router at this computer</h3>
      <label className="field">
        <span>Your router</span>
        <select
          aria-label="Router brand"
          value={progress.brand}
          onChange={(e) => onProgress({ brand: e.target.value as RouterBrand | '' })}
        >
          <option value="">Choose…</option>
          {ROUTER_BRANDS.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name}
            </option>
          ))}
        </select>
      </label>
      <p>
        Enter <strong className="mono">{shown}</strong> as the DNS server. Leave any secondary DNS empty,
        otherwise the router spreads its queries and you see only part of them.
      </p>
      {address !== '' && !ready && (
        <p className="notice warn" data-testid="target-not-ready">
          DNS Witness does not answer on {address} port 53 yet: fix that first (step 1), or the network loses
          DNS as soon as the router points here.
        </p>
      )}
      {brand && (
        <div className="router-guide" data-testid="router-guide" data-brand={brand.id}>
          <p>{brand.open}</p>
          <GuideBlock
            title="Internet / WAN DNS — the router’s own queries"
            guide={brand.wan}
            address={shown}
            testId="guide-wan"
          />
          <label className="check">
            <input
              type="checkbox"
              checked={progress.wanChanged}
              onChange={(e) => onProgress({ wanChanged: e.target.checked })}
            />
            I changed the Internet/WAN DNS
          </label>
          <PreviousValue
            label="It was (leave empty for automatic)"
            value={progress.previousWan}
            onSave={(v) => onProgress({ previousWan: v })}
          />
          {brand.dhcp ? (
            <>
              <GuideBlock
                title="DHCP server DNS — every device"
                guide={brand.dhcp}
                address={shown}
                testId="guide-dhcp"
              />
              <label className="check">
                <input
                  type="checkbox"
                  checked={progress.dhcpChanged}
                  onChange={(e) => onProgress({ dhcpChanged: e.target.checked })}
                />
                I changed the DHCP server DNS
              </label>
              <PreviousValue
                label="It was (leave empty for the router itself)"
                value={progress.previousDhcp}
                onSave={(v) => onProgress({ previousDhcp: v })}
              />
            </>
          ) : (
            <p className="notice" data-testid="guide-dhcp">
              {NO_DHCP_DNS}
            </p>
          )}
        </div>
      )}
      <p className="notice warn">{RESTORE_WARNING}</p>
    </section>
  );
}

function GuideBlock({
  title,
  guide,
  address,
  testId,
}: {
  title: string;
  guide: RouterSettingGuide;
  address: string;
  testId: string;
}) {
  return (
    <div className="guide-block" data-testid={testId}>
      <h4>{title}</h4>
      <p className="menu-path">{menuPath(guide.path)}</p>
      <ol>
        {fillSteps(guide.steps, address).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      {guide.note !== '' && <p className="muted">{guide.note}</p>}
    </div>
  );
}

/** A text field saved when it loses focus, so typing does not write the settings file per keystroke. */
function PreviousValue({
  label,
  value,
  onSave,
}: {
  label: string;
  value: string;
  onSave: (v: string) => void;
}) {
  const [text, setText] = useState(value);
  return (
    <label className="field previous">
      <span>{label}</span>
      <input
        type="text"
        value={text}
        maxLength={200}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          if (text.trim() !== value) onSave(text.trim());
        }}
      />
    </label>
  );
}

function WaitStep({ state }: { state: SetupState | null }) {
  const seen = state?.routerQuery ?? null;
  const routers = state?.routers ?? [];
  return (
    <section aria-labelledby="setup-wait">
      <h3 id="setup-wait">The router’s first query</h3>
      <div className={seen ? 'live-check ok' : 'live-check waiting'} data-testid="router-check" role="status">
        {seen ? (
          <>
            <span className="result-mark" aria-hidden="true">
              ✓
            </span>
            The first query from your router {seen.address} arrived at {clockTime(seen.ts)}: it uses DNS
            Witness.
          </>
        ) : (
          <>
            <span className="spinner" aria-hidden="true" />
            Waiting for the first query from your router
            {routers.length > 0 ? ` (${routers.join(', ')})` : ''}…
          </>
        )}
      </div>
      {!seen && (
        <p className="muted">
          Routers often ask within a minute; devices follow when their DHCP lease renews (reconnect one to
          hurry it). Nothing after a few minutes? Check the address you entered, and a firewall on this
          computer (step 1).{' '}
          {routers.length === 0 &&
            'DNS Witness does not know your router’s address yet: it is this computer’s default gateway, or start with --router ADDR.'}
        </p>
      )}
      {state && !state.capturing && (
        <p className="notice warn">
          Recording is stopped: queries are answered but not kept. Start a capture to record them.
        </p>
      )}
      <p className="notice warn">{RESTORE_WARNING}</p>
    </section>
  );
}
