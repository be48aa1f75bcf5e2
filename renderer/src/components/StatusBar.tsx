import type { ReactNode } from 'react';
import type { EngineStatus, EngineWarning } from '@shared/events';
import type { DashboardView } from '../lib/dashboard-state';
import { formatCount, formatDuration, formatRate } from '../lib/format';
import { endpoints } from '../lib/status-summary';

interface Props {
  readonly view: DashboardView;
  /** Engine time in epoch ms. */
  readonly now: number;
  readonly busy: boolean;
  readonly onStart: () => void;
  readonly onStop: () => void;
  /** More buttons at the end of the bar (Setup, Settings). */
  readonly actions?: ReactNode;
}

/** Top bar: where DNS is answered, upstreams, capture state, totals, rate, warnings, Start/Stop. */
export function StatusBar({ view, now, busy, onStart, onStop, actions }: Props) {
  const status = view.status;
  const capture = status?.capture ?? null;
  const running = capture?.state === 'running';
  // Beside a resolver (--listen none): DNS is answered by it, not here, and no upstream is used.
  const observerOnly = status?.dnstapIn !== undefined && status.listeners.length === 0;
  return (
    <header className="statusbar">
      <div className="statusbar-main">
        <h1 className="brand">
          <span className="brand-mark" aria-hidden="true" />
          DNS Witness
        </h1>
        <CaptureState running={running} since={capture?.startedAt ?? 0} now={now} known={status !== null} />
        <dl className="facts">
          <Fact label="DNS on" testId="status-listen">
            {observerOnly ? (
              <span className="muted">none: observing only</span>
            ) : (
              <Listeners status={status} />
            )}
          </Fact>
          {!observerOnly && (
            <Fact label="Upstream" testId="status-upstream">
              <Upstreams status={status} />
            </Fact>
          )}
          {status?.dnstapIn && (
            <Fact label="Observed via dnstap" testId="status-dnstap-in">
              <DnstapIn status={status} />
            </Fact>
          )}
          <Fact label="Queries" testId="status-total">
            <span className="num">{formatCount(view.totalQueries)}</span>
            <HistoryLoading status={status} />
          </Fact>
          <Fact label="Now" testId="status-rate">
            <span className="num">{status ? `${formatRate(status.qps)}/s` : '–'}</span>
          </Fact>
        </dl>
        <div className="statusbar-actions">
          {running ? (
            <button type="button" className="button" onClick={onStop} disabled={busy || status === null}>
              <span className="stop-icon" aria-hidden="true" />
              Stop capture
            </button>
          ) : (
            <button
              type="button"
              className="button primary"
              onClick={onStart}
              disabled={busy || status === null}
            >
              <span className="rec-icon" aria-hidden="true" />
              Start capture
            </button>
          )}
          {actions}
        </div>
      </div>
      <Alerts view={view} />
    </header>
  );
}

function Fact({ label, testId, children }: { label: string; testId?: string; children: ReactNode }) {
  return (
    <div className="fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function CaptureState({
  running,
  since,
  now,
  known,
}: {
  running: boolean;
  since: number;
  now: number;
  known: boolean;
}) {
  if (!known) return <span className="pill">Connecting…</span>;
  return running ? (
    <span className="pill recording" data-testid="capture-state">
      <span className="dot" aria-hidden="true" />
      Recording <span className="num">{formatDuration(Math.max(0, now - since))}</span>
    </span>
  ) : (
    <span className="pill stopped" data-testid="capture-state">
      Not recording
    </span>
  );
}

/** While the earlier captures are read after a start: DNS is answered, the counts are still growing. */
function HistoryLoading({ status }: { status: EngineStatus | null }) {
  const h = status?.history;
  if (h?.state !== 'loading') return null;
  return (
    <span className="muted" role="status" data-testid="history-loading">
      {' '}
      · reading earlier captures, {Math.floor(h.progress * 100)} %
    </span>
  );
}

function Listeners({ status }: { status: EngineStatus | null }) {
  const list = endpoints(status?.listeners ?? []);
  if (list.length === 0) return <span className="muted">–</span>;
  return (
    <span className="inline-list">
      {list.map((e) => (
        <span
          key={e.label}
          className={e.ok ? 'mono' : 'mono bad'}
          title={e.ok ? e.transports.join(' and ') : e.error}
        >
          {e.label}
        </span>
      ))}
    </span>
  );
}

/** The resolvers reporting over dnstap: their queries are observed, not forwarded by DNS Witness. */
function DnstapIn({ status }: { status: EngineStatus }) {
  const d = status.dnstapIn!;
  const inputs = d.listeners.map(
    (l) => `${l.target}${l.state === 'listening' ? '' : ` (${l.error || l.state})`}`,
  );
  return (
    <span
      title={`Inputs: ${inputs.join(', ')}. These queries were answered by the resolver, not forwarded here.`}
    >
      <span className="mono">{d.sources.length > 0 ? d.sources.join(', ') : 'no resolver yet'}</span>{' '}
      <span className="muted num">{formatCount(d.records)} observed, not forwarded</span>
    </span>
  );
}

function Upstreams({ status }: { status: EngineStatus | null }) {
  const list = status?.upstreams ?? [];
  if (list.length === 0) return <span className="muted">–</span>;
  return (
    <span className="inline-list">
      {list.map((u) => (
        <span
          key={u.address}
          className="mono"
          title={
            u.healthy
              ? `${formatCount(u.queries)} queries answered`
              : `Failing: ${u.lastError || 'no answer'}`
          }
        >
          <span
            className={u.healthy ? 'health ok' : 'health bad'}
            role="img"
            aria-label={u.healthy ? 'healthy' : 'failing'}
          />
          {u.address}
        </span>
      ))}
    </span>
  );
}

const WARNING_TITLES: Record<EngineWarning['code'], string> = {
  'loop-detected': 'Loop detected',
  'port-unavailable': 'Port problem',
  'upstream-failing': 'Upstream failing',
  'refused-client': 'Client refused',
  overload: 'Overloaded',
  'journal-error': 'Recording problem',
  'device-lookup': 'Device details',
  watchlist: 'Watchlist settings',
  settings: 'Settings',
  storage: 'Data folder',
  'dnstap-in': 'dnstap input',
  'dns-thread': 'DNS thread',
};

/** Connection problems and engine warnings, one line each. */
function Alerts({ view }: { view: DashboardView }) {
  const lines: { key: string; tone: 'bad' | 'warn'; title: string; text: string; count?: number }[] = [];
  if (view.connection === 'reconnecting')
    lines.push({
      key: 'conn',
      tone: 'bad',
      title: 'Disconnected',
      text: 'Lost the connection to the engine; reconnecting…',
    });
  if (view.error !== '') lines.push({ key: 'err', tone: 'bad', title: 'Error', text: view.error });
  for (const e of endpoints(view.status?.listeners ?? []))
    if (!e.ok)
      lines.push({
        key: `l-${e.label}`,
        tone: 'bad',
        title: 'Port problem',
        text: e.error || `${e.label} is not listening`,
      });
  for (const w of view.warnings)
    lines.push({
      key: w.code,
      tone:
        w.code === 'refused-client' || w.code === 'device-lookup' || w.code === 'watchlist' ? 'warn' : 'bad',
      title: WARNING_TITLES[w.code],
      text: w.message,
      count: w.count,
    });
  if (lines.length === 0) return null;
  return (
    <ul className="alerts" aria-label="Warnings">
      {lines.map((l) => (
        <li key={l.key} className={`alert ${l.tone}`}>
          <strong>{l.title}</strong>
          <span>{l.text}</span>
          {l.count !== undefined && l.count > 1 && <span className="muted num">×{formatCount(l.count)}</span>}
        </li>
      ))}
    </ul>
  );
}
