import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ExportKind, ExportProgress } from '@shared/api';
import type { QueryFilter } from '@shared/events';
import { isoLocal } from '@shared/time';
import type { Dashboard } from '../lib/dashboard';

/** What the PNG's header strip states, besides the time it was generated. */
export interface EvidenceContext {
  /** The recording period, e.g. "2026-11-23T01:00:00.000+01:00 – recording". */
  readonly period: string;
  /** The chart's time window. */
  readonly shown: string;
  /** Device, name and range filters in words. */
  readonly filters: string;
  /**
   * The fingerprint of the install's signing key that seals the journals, when the engine reports one; the
   * caption shows it so the image names the key its bundle is signed with.
   */
  readonly fingerprint?: string;
}

/** One export the toolbar offers: inline as a button, or in its More menu when the window is narrow. */
export interface ExportAction {
  readonly kind: ExportKind;
  readonly label: string;
  readonly title: string;
  readonly run: () => void;
}

interface Active {
  readonly kind: ExportKind;
  readonly exportId: string;
  readonly progress: ExportProgress | null;
}

const LABELS: Readonly<Record<ExportKind, { ipc: string; web: string; title: string }>> = {
  csv: { ipc: 'Save CSV…', web: 'Export CSV', title: 'Queries matching the device, name and range' },
  pcap: { ipc: 'Save PCAP…', web: 'Export PCAP', title: 'The DNS packets of those queries, for Wireshark' },
  dnstap: {
    ipc: 'Save dnstap…',
    web: 'Export dnstap',
    title: 'Those exchanges as a dnstap file, for dnstap -r, collectors and resolvers’ tools',
  },
  png: { ipc: 'Save PNG…', web: 'Save PNG', title: 'The dashboard as shown, with period, filters and time' },
  bundle: {
    ipc: 'Evidence bundle…',
    web: 'Evidence bundle',
    title: 'CSV, PCAP, PNG, report and journals in one zip with SHA-256 manifest',
  },
};

const NAMES: Readonly<Record<ExportKind, string>> = {
  csv: 'CSV',
  pcap: 'PCAP',
  dnstap: 'dnstap',
  png: 'PNG',
  bundle: 'Bundle',
};

/** Resolves after the browser has painted what React just rendered (the strip must be in the image). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

function percent(p: ExportProgress): string {
  if (p.total <= 0) return '';
  return `${Math.min(100, Math.floor((p.rows / p.total) * 100))} %`;
}

function progressText(p: ExportProgress): string {
  const name = NAMES[p.kind];
  if (p.state === 'failed') return `${name} export failed: ${p.message}`;
  const rows =
    p.kind === 'bundle'
      ? ''
      : ` · ${p.rows.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} queries`;
  if (p.state === 'done')
    return `${name} ready${p.kind === 'bundle' ? '' : `: ${p.rows.toLocaleString('en-US')} queries`}`;
  return `${name} ${percent(p)}${rows}`.trim();
}

const KINDS: readonly ExportKind[] = ['csv', 'pcap', 'png', 'bundle', 'dnstap'];

/**
 * The evidence exports for the dashboard: the actions, their progress, and the caption strip a PNG must
 * show (capture period, time range, filters, generation time, signing key) while the dashboard is captured.
 * Nothing else changes on the page while it is captured (no note, no greyed buttons): the image shows the
 * dashboard as the user saw it. `filter` is what the
 * CSV, PCAP and bundle select. The desktop File menu's PNG and bundle items run through here too.
 */
export function useEvidenceExport(
  dashboard: Dashboard,
  filter: QueryFilter,
  context: EvidenceContext,
): {
  readonly strip: ReactNode;
  readonly actions: readonly ExportAction[];
  /** The running export's progress bar, or null. */
  readonly progress: ReactNode;
  readonly note: string;
} {
  const [active, setActive] = useState<Active | null>(null);
  const [note, setNote] = useState('');
  const [stripAt, setStripAt] = useState<number | null>(null);
  /** The install key's fingerprint, asked before the first picture (it makes the key). */
  const [fingerprint, setFingerprint] = useState('');
  const ipc = dashboard.transport === 'ipc';
  // Callbacks registered once (the menu, progress events) read the current filter and export from here.
  const latest = useRef({ filter, active });
  // Set while the dashboard is being captured: a second click waits, without greying the buttons.
  const capturing = useRef(false);
  useEffect(() => {
    latest.current = { filter, active };
  }, [filter, active]);

  useEffect(
    () =>
      dashboard.onExport('export:progress', (p) => {
        setActive((a) => (a && a.exportId === p.exportId ? { ...a, progress: p } : a));
        if (p.state !== 'running' && latest.current.active?.exportId === p.exportId) setNote(progressText(p));
      }),
    [dashboard],
  );

  const run = useCallback(
    (kind: ExportKind): void => {
      if (capturing.current) return;
      if (latest.current.active && latest.current.active.progress?.state === 'running') return;
      const exportId = `${kind}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
      const request = { ...latest.current.filter, exportId };
      const next = { kind, exportId, progress: null };
      latest.current = { ...latest.current, active: next };
      setActive(next);
      const pictured = kind === 'png' || kind === 'bundle';
      // The note stays as it is while the dashboard is captured; it says what happened afterwards.
      if (!pictured) setNote('');
      const work = async (): Promise<void> => {
        // The picture's caption names the key that signs the bundle; asking for it makes the key, so only
        // an export asks.
        const key = pictured ? await dashboard.invoke('evidence:key', undefined) : null;
        if (key) setFingerprint(key.fingerprint);
        if (pictured) {
          capturing.current = true;
          setStripAt(Date.now());
          await afterPaint();
        }
        try {
          const channel = `export:${kind}` as const;
          const r = await dashboard.invoke(channel, request);
          if (ipc) setNote(r.saved ? `Saved ${r.path}` : '');
          else
            setNote((n) =>
              kind === 'png' ? `Saved ${r.path}` : n.startsWith(NAMES[kind]) ? n : 'Download started',
            );
          // The fingerprint the user publishes once.
          if (kind === 'bundle' && key && (r.saved || !ipc))
            setNote((n) => `${n} · signed by install key ${key.fingerprint}`);
        } finally {
          capturing.current = false;
          setStripAt(null);
        }
      };
      work().catch((err: unknown) => {
        setNote(`${NAMES[kind]} export failed: ${err instanceof Error ? err.message : String(err)}`);
        setActive(null);
      });
    },
    [dashboard, ipc],
  );

  useEffect(() => dashboard.onExport('export:menu', ({ kind }) => run(kind)), [dashboard, run]);

  const progress = active?.progress ?? null;
  const strip =
    stripAt === null ? null : (
      <div className="evidence-strip" data-testid="evidence-strip">
        <strong>DNS Witness — evidence</strong>
        <span>
          <em>Capture period</em> {context.period}
        </span>
        <span>
          <em>Time range</em> {context.shown}
        </span>
        <span>
          <em>Filters</em> {context.filters}
        </span>
        <span>
          <em>Generated</em> {isoLocal(stripAt)} ({Intl.DateTimeFormat().resolvedOptions().timeZone})
        </span>
        {(context.fingerprint ?? fingerprint) ? (
          <span data-testid="evidence-fingerprint">
            <em>Signing key</em> <code>{context.fingerprint ?? fingerprint}</code>
          </span>
        ) : null}
      </div>
    );
  const actions = useMemo(
    () =>
      KINDS.map((kind) => ({
        kind,
        label: ipc ? LABELS[kind].ipc : LABELS[kind].web,
        title: LABELS[kind].title,
        run: () => run(kind),
      })),
    [ipc, run],
  );
  const bar =
    progress && progress.state === 'running' ? (
      <span className="export-progress" role="status" data-testid="export-progress">
        <progress max={Math.max(1, progress.total)} value={Math.min(progress.rows, progress.total)} />
        {progressText(progress)}
      </span>
    ) : null;
  return { strip, actions, progress: bar, note };
}
