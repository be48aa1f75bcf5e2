import { useEffect, useId, useState } from 'react';
import type { CaptureInfo, ImportFormat } from '@shared/events';
import { IMPORT_FORMATS, partialSentence, type ImportProgress, type ImportRequest } from '@shared/import';
import { isoLocal } from '@shared/time';
import type { Dashboard } from '../lib/dashboard';
import { formatCount, formatRate } from '../lib/format';
import { Modal } from './Modal';
import './import.css';

/** The names of the formats as the import's messages say them (electron/engine/import/formats). */
const FORMAT_LABELS: Readonly<Record<ImportFormat, string>> = {
  pihole: 'Pi-hole FTL database',
  adguard: 'AdGuard Home query log',
  dnsmasq: 'dnsmasq query log',
  pcap: 'pcap packet capture',
  pcapng: 'pcapng packet capture',
  zeek: 'Zeek dns.log',
  dnstap: 'dnstap file',
};

/** An import id the page makes itself, so it can cancel an upload before the service has answered. */
function newImportId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `imp-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Every import this page has heard of, newest first; kept while the page is open, dialog closed or not. */
export function useImports(dashboard: Dashboard): readonly ImportProgress[] {
  const [imports, setImports] = useState<readonly ImportProgress[]>([]);
  useEffect(
    () =>
      dashboard.onImportProgress((p) =>
        setImports((list) => [p, ...list.filter((i) => i.id !== p.id)].slice(0, 20)),
      ),
    [dashboard],
  );
  return imports;
}

function bytesText(n: number): string {
  return n >= 1024 * 1024 ? `${formatRate(n / (1024 * 1024))} MiB` : `${formatCount(n / 1024)} KiB`;
}

/** "42 % · 120,000 queries · 310,000 queries/s", or the upload's bytes and rate. */
function progressText(p: ImportProgress): string {
  const pct = p.totalBytes > 0 ? `${Math.floor(Math.min(1, p.bytes / p.totalBytes) * 100)} %` : '';
  if (p.state === 'uploading')
    return `${pct} · uploading ${bytesText(p.bytes)} of ${bytesText(p.totalBytes)} · ${bytesText(p.rate)}/s`;
  return `${pct} · ${formatCount(p.queries)} queries · ${formatCount(p.rate)} queries/s`;
}

function ImportRow({ p, onCancel }: { readonly p: ImportProgress; readonly onCancel: () => void }) {
  const active = p.state === 'uploading' || p.state === 'running';
  return (
    <li className={`import-row ${p.state}`} data-testid="import-row" data-state={p.state}>
      <div className="import-row-head">
        <strong className="mono">{p.file}</strong>
        {active && (
          <button type="button" className="button small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {active && (
        <div className="import-progress" role="status">
          <progress
            max={Math.max(1, p.totalBytes)}
            value={Math.min(p.bytes, p.totalBytes)}
            aria-label={`${p.state === 'uploading' ? 'Uploading' : 'Importing'} ${p.file}`}
          />
          <span data-testid="import-progress-text">{progressText(p)}</span>
        </div>
      )}
      {p.state === 'done' && (
        <p className="setting-hint" data-testid="import-result">
          {p.partial === false ? 'Imported' : 'Partially imported'} {formatCount(p.queries)} queries
          {p.skipped > 0 ? `, ${formatCount(p.skipped)} entries left out` : ''}.
          {p.message !== '' && ` Note: ${p.message}.`}
        </p>
      )}
      {p.state === 'failed' && (
        <p className="setting-error" role="alert" data-testid="import-error">
          {p.message}
        </p>
      )}
      {p.state === 'cancelled' && <p className="muted">Cancelled; nothing was imported.</p>}
    </li>
  );
}

/** The imported captures, each with where it came from; a partial one says so. */
function ImportedCaptures({ captures }: { readonly captures: readonly CaptureInfo[] }) {
  const imported = captures.filter((c) => c.source).reverse();
  if (imported.length === 0) return <p className="muted">No capture was imported yet.</p>;
  return (
    <table className="imported-captures" data-testid="imported-captures">
      <thead>
        <tr>
          <th scope="col">Capture</th>
          <th scope="col">From</th>
          <th scope="col">Queries</th>
          <th scope="col">Imported</th>
        </tr>
      </thead>
      <tbody>
        {imported.map((c) => {
          const s = c.source!;
          return (
            <tr key={c.id} data-testid="imported-capture" data-capture={c.id}>
              <td>{s.name || c.id}</td>
              <td>
                <span className="mono">{s.files.map((f) => f.name).join(', ')}</span> (
                {FORMAT_LABELS[s.format]})
                {s.partial !== false && (
                  <span
                    className="badge partial"
                    title={partialSentence(s.partial)}
                    data-testid="partial-badge"
                  >
                    partial: {s.partial.file} {s.partial.at}
                  </span>
                )}
              </td>
              <td className="num">{formatCount(c.queries)}</td>
              <td>{isoLocal(s.importedAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface Props {
  readonly dashboard: Dashboard;
  readonly imports: readonly ImportProgress[];
  readonly captures: readonly CaptureInfo[];
  readonly onClose: () => void;
}

/**
 * Import → another program's DNS history (a Pi-hole, AdGuard Home or dnsmasq log, a packet capture) as a new
 * capture, with the command line's choices: format, name, router addresses, keeping a damaged file's start.
 * The desktop app opens its file dialog, a browser uploads the file; either way the engine reads it in the
 * background and DNS is answered as before.
 */
export function ImportDialog({ dashboard, imports, captures, onClose }: Props) {
  const id = useId();
  const [format, setFormat] = useState<ImportRequest['format']>('auto');
  const [name, setName] = useState('');
  const [routers, setRouters] = useState('');
  const [keepPartial, setKeepPartial] = useState(false);
  const [error, setError] = useState('');
  const routerList = routers.split(/[\s,]+/).filter((r) => r !== '');
  const badRouter = routerList.find((r) => !/^[0-9a-fA-F:.]+$/.test(r) || !/[.:]/.test(r));

  const choose = (): void => {
    setError('');
    const req: ImportRequest = {
      id: newImportId(),
      format,
      name: name.trim(),
      routers: routerList,
      keepPartial,
    };
    // Called from the click itself: a browser opens its file picker only then.
    dashboard
      .invoke('import:file', req)
      .catch((err: unknown) => setError(`Could not import: ${String(err)}`));
  };
  const cancel = (importId: string): void =>
    void dashboard.invoke('import:cancel', { id: importId }).catch(() => undefined);

  return (
    <Modal title="Import DNS history" onClose={onClose} wide testId="import-dialog">
      <p className="setting-hint">
        A Pi-hole, AdGuard Home or dnsmasq log, a Zeek dns.log, a dnstap file or a packet capture becomes a
        new capture, with the file&apos;s name and SHA-256 kept as where its queries came from. DNS is
        answered as usual while it is read.
      </p>
      <div className="import-form">
        <label className="field">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as ImportRequest['format'])}>
            <option value="auto">Recognise from the file</option>
            {IMPORT_FORMATS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Name (optional)</span>
          <input
            value={name}
            maxLength={200}
            placeholder="e.g. AdGuard, November"
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Router addresses (optional)</span>
          <input
            value={routers}
            placeholder="e.g. 192.168.1.1"
            spellCheck={false}
            aria-invalid={badRouter !== undefined}
            aria-describedby={`${id}-routers`}
            onChange={(e) => setRouters(e.target.value)}
          />
        </label>
      </div>
      {badRouter !== undefined && (
        <p className="setting-error" id={`${id}-routers`} role="alert">
          “{badRouter}” is not an IP address.
        </p>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={keepPartial} onChange={(e) => setKeepPartial(e.target.checked)} />
        If the file is damaged part way, keep the queries before the damage as a capture marked partial
        (otherwise nothing is kept)
      </label>
      <div className="import-actions">
        <button type="button" className="button primary" onClick={choose} disabled={badRouter !== undefined}>
          Choose file…
        </button>
      </div>
      {error !== '' && (
        <p className="setting-error" role="alert">
          {error}
        </p>
      )}
      {imports.length > 0 && (
        <ul className="import-list" aria-label="Imports">
          {imports.map((p) => (
            <ImportRow key={p.id} p={p} onCancel={() => cancel(p.id)} />
          ))}
        </ul>
      )}
      <h3>Imported captures</h3>
      <ImportedCaptures captures={captures} />
    </Modal>
  );
}
