import type { ReactNode, RefObject } from 'react';
import type { DeviceTotals } from '../lib/dashboard-state';
import { RANGES, type RangeKey } from '../lib/chart-series';
import type { ExportAction } from './EvidenceExport';
import { MoreMenu } from './MoreMenu';

interface Props {
  readonly devices: readonly DeviceTotals[];
  /** Label per device address (see deviceLabels). */
  readonly labels: ReadonlyMap<string, string>;
  readonly selected: string | null;
  readonly onSelect: (client: string | null) => void;
  readonly name: string;
  readonly onName: (name: string) => void;
  readonly range: RangeKey;
  readonly onRange: (range: RangeKey) => void;
  /** The exports of what the filters select: CSV, PCAP, PNG, evidence bundle. */
  readonly exports: readonly ExportAction[];
  /** The running export's progress, floating under the exports. */
  readonly progress?: ReactNode;
  /** Opens the Import dialog: always an item of the More menu, after the exports. */
  readonly onImport: () => void;
  /** The name filter, for the desktop menu's Find… (Ctrl/Cmd+F). */
  readonly searchRef?: RefObject<HTMLInputElement | null>;
}

/**
 * Which exports leave the toolbar for its More menu first as the window narrows (styles.css, .toolbar's
 * container queries): PCAP, PNG and the bundle, then CSV; dnstap, which fewer people need, always stays there.
 */
const FOLD: Readonly<Record<ExportAction['kind'], string>> = {
  csv: 'fold-late',
  pcap: 'fold-early',
  png: 'fold-early',
  bundle: 'fold-early',
  dnstap: 'fold-always',
};

/** A device in the select: its label, with the address unless the label shows it already. */
function optionText(label: string, address: string): string {
  return label.includes(address) ? label : `${label} (${address})`;
}

/**
 * The filters everything below follows (device, name, range) and the exports of what they select. In a
 * narrower window the exports fold into a More menu, so the toolbar keeps one line; export messages go to
 * the status toast, never in here.
 */
export function Toolbar({ searchRef, ...p }: Props) {
  return (
    // A labelled section is a landmark region: screen reader users can jump to the filters as to the panels.
    <section aria-label="Filters and exports">
      <div className="toolbar" role="toolbar" aria-label="Filters">
        <label className="field">
          <span>Device</span>
          <select
            value={p.selected ?? ''}
            onChange={(e) => p.onSelect(e.target.value === '' ? null : e.target.value)}
            aria-label="Device filter"
          >
            <option value="">All devices</option>
            {p.devices.map((d) => (
              <option key={d.address} value={d.address}>
                {optionText(p.labels.get(d.address) ?? d.address, d.address)}
              </option>
            ))}
            {p.selected !== null && !p.devices.some((d) => d.address === p.selected) && (
              <option value={p.selected}>{p.selected}</option>
            )}
          </select>
        </label>
        <label className="field grow">
          <span>Name contains</span>
          <input
            ref={searchRef}
            type="search"
            value={p.name}
            placeholder="e.g. safethings.avira.com"
            spellCheck={false}
            autoComplete="off"
            maxLength={253}
            onChange={(e) => p.onName(e.target.value)}
            aria-label="Name filter"
          />
        </label>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.key}
              type="button"
              aria-pressed={p.range === r.key}
              onClick={() => p.onRange(r.key)}
            >
              {r.label}
            </button>
          ))}
        </div>
        <div className="spacer" />
        <div className="toolbar-exports export-buttons" role="group" aria-label="Export">
          {p.exports.map((a) => (
            <button
              key={a.kind}
              type="button"
              className={`button ${FOLD[a.kind]}${a.kind === 'bundle' ? ' primary' : ''}`}
              title={a.title}
              onClick={a.run}
            >
              {a.kind === 'csv' && <span className="download-icon" aria-hidden="true" />}
              {a.label}
            </button>
          ))}
          <MoreMenu
            className="toolbar-more"
            actions={[
              ...p.exports.map((a) => ({
                key: a.kind,
                label: a.label,
                title: a.title,
                className: FOLD[a.kind],
                run: a.run,
              })),
              {
                key: 'import',
                label: 'Import…',
                title: 'Read a Pi-hole, AdGuard Home or dnsmasq log or a packet capture into a new capture',
                className: 'fold-always menu-separated',
                run: p.onImport,
              },
            ]}
          />
          {p.progress}
        </div>
      </div>
    </section>
  );
}
