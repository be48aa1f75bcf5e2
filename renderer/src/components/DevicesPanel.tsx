import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { DEVICE_NAME_MAX, deviceLabel } from '@shared/devices';
import type { DeviceInfo } from '@shared/events';
import type { DeviceTotals, MinuteCounts } from '../lib/dashboard-state';
import { deviceColor, sparkline } from '../lib/chart-series';
import { infoFor, routersFirst, vendorText } from '../lib/devices';
import { formatCount, formatShare } from '../lib/format';
import { Sparkline } from './Sparkline';

interface Props {
  readonly devices: readonly DeviceTotals[];
  readonly info: ReadonlyMap<string, DeviceInfo>;
  /** Devices to highlight as having just appeared. */
  readonly newDevices: ReadonlySet<string>;
  readonly total: number;
  readonly counts: MinuteCounts;
  /** Start of the current minute (engine time), for the sparkline window. */
  readonly minute: number;
  readonly selected: string | null;
  readonly onSelect: (client: string | null) => void;
  /** Saves a device's name ("" removes it); rejects with a message for the user. */
  readonly onRename: (address: string, name: string) => Promise<void>;
  /** Label per address that tells devices apart (see deviceLabels); a name several share gets the address. */
  readonly labels: ReadonlyMap<string, string>;
  /** Clients the engine has not sent yet (it sends the busiest first), and their queries. */
  readonly other?: { readonly clients: number; readonly queries: number };
  /** Asks the engine for the next page of clients. */
  readonly onMore?: () => void;
}

/** From this many devices on, only the rows in view (and a few around) are rendered. */
const VIRTUAL_FROM = 200;
/** A device row's usual height, and the "All devices" row's above the list. */
const ROW_PX = 44;

/**
 * One row per client, the router first: its name (or hostname, else address), address, vendor, queries,
 * share and the last 30 minutes. Clicking a row filters everything; the pencil renames the device.
 */
export const DevicesPanel = memo(function DevicesPanel(props: Props) {
  return (
    <section className="panel devices" aria-labelledby="devices-title">
      <header className="panel-head">
        <h2 id="devices-title">Devices</h2>
        <span className="muted num">{formatCount(props.devices.length + (props.other?.clients ?? 0))}</span>
      </header>
      {props.devices.length === 0 ? (
        <p className="panel-note muted">Each device appears here with its first query.</p>
      ) : (
        <DeviceList {...props} />
      )}
    </section>
  );
});

function DeviceList(props: Props) {
  const { devices, info, total, selected, onSelect, other } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const ordered = useMemo(() => routersFirst(devices, info), [devices, info]);
  const listRef = useRef<HTMLUListElement>(null);
  // A household has a few dozen devices; a network of 100,000 clients must not build 100,000 rows.
  const virtual = ordered.length > VIRTUAL_FROM;
  // The app is not built with the React Compiler, so nothing memoises around the virtualizer's functions.
  // eslint-disable-next-line react-hooks/incompatible-library
  const rows = useVirtualizer({
    count: virtual ? ordered.length : 0,
    getScrollElement: () => listRef.current,
    estimateSize: () => ROW_PX,
    paddingStart: ROW_PX,
    overscan: 8,
  });
  const item = (d: DeviceTotals, index?: number) => (
    <DeviceItem
      key={d.address}
      totals={d}
      device={infoFor(info, d.address)}
      isNew={props.newDevices.has(d.address)}
      editing={editing === d.address}
      onEdit={(on) => setEditing(on ? d.address : null)}
      index={index}
      measure={index === undefined ? undefined : rows.measureElement}
      {...props}
    />
  );
  const shown = virtual ? rows.getVirtualItems() : [];
  const before = shown.length > 0 ? shown[0]!.start - ROW_PX : 0;
  const after = shown.length > 0 ? rows.getTotalSize() - shown[shown.length - 1]!.end : 0;
  return (
    <>
      <div className="device-cols muted" aria-hidden="true">
        <span>Device</span>
        <span>30 min</span>
        <span>Queries</span>
        <span>Share</span>
      </div>
      <ul className="device-list" aria-label="Devices" ref={listRef}>
        <li>
          <button
            type="button"
            className="device-row all"
            aria-pressed={selected === null}
            onClick={() => onSelect(null)}
          >
            <span className="device-name">All devices</span>
            <span />
            <span className="num">{formatCount(total)}</span>
            <span className="num muted">{total > 0 ? '100 %' : '–'}</span>
          </button>
        </li>
        {virtual ? (
          <>
            <li aria-hidden="true" style={{ height: before }} />
            {shown.map((v) => item(ordered[v.index]!, v.index))}
            <li aria-hidden="true" style={{ height: after }} />
          </>
        ) : (
          ordered.map((d) => item(d))
        )}
        {other !== undefined && other.clients > 0 && (
          <li>
            <button
              type="button"
              className="device-row more"
              data-testid="devices-more"
              onClick={props.onMore}
            >
              <span className="device-name muted">
                {formatCount(other.clients)} more devices: show the next
              </span>
              <span />
              <span className="num">{formatCount(other.queries)}</span>
              <span className="num muted">{formatShare(other.queries, total)}</span>
            </button>
          </li>
        )}
      </ul>
    </>
  );
}

interface ItemProps extends Props {
  /** Position in the list and the measuring callback, when only the rows in view are rendered. */
  readonly index?: number;
  readonly measure?: (el: HTMLLIElement | null) => void;
  readonly totals: DeviceTotals;
  readonly device: DeviceInfo;
  readonly isNew: boolean;
  readonly editing: boolean;
  readonly onEdit: (editing: boolean) => void;
}

function DeviceItem({ totals, device, isNew, editing, onEdit, index, measure, ...p }: ItemProps) {
  const address = totals.address;
  const color = deviceColor(totals.colorIndex);
  const isSelected = address === p.selected;
  const name = deviceLabel(device);
  const label = p.labels.get(address) ?? name;
  const vendor = vendorText(device);
  const classes = ['device-item', isNew ? 'is-new' : '', device.isRouter ? 'is-router' : ''];
  return (
    <li className={classes.filter(Boolean).join(' ')} data-index={index} ref={measure}>
      {editing ? (
        <RenameForm device={device} color={color} onDone={() => onEdit(false)} onRename={p.onRename} />
      ) : (
        <>
          <button
            type="button"
            className="device-row"
            aria-pressed={isSelected}
            data-testid="device-row"
            data-address={address}
            data-router={device.isRouter ? 'true' : undefined}
            data-new={isNew ? 'true' : undefined}
            title={isSelected ? 'Show all devices' : `Show only ${label}`}
            onClick={() => p.onSelect(isSelected ? null : address)}
          >
            <span className="device-name">
              <svg className="swatch" width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" rx="2" fill={color} />
              </svg>
              <span className="device-label">
                <span className="device-title">
                  <span
                    className={`ellipsis${label === address ? ' mono' : ' device-display'}`}
                    data-testid="device-name"
                    title={label}
                  >
                    {label}
                  </span>
                  {device.isRouter && (
                    <span className="tag router" title="The router: its own queries, not a device behind it">
                      Router
                    </span>
                  )}
                  {isNew && <span className="tag new">New</span>}
                </span>
                {(!label.includes(address) || vendor !== '') && (
                  <span className="device-sub muted ellipsis">
                    {!label.includes(address) && <span className="mono">{address}</span>}
                    {!label.includes(address) && vendor !== '' && ' · '}
                    {vendor !== '' && (
                      <span data-testid="device-vendor" title={device.mac || undefined}>
                        {vendor}
                      </span>
                    )}
                  </span>
                )}
              </span>
            </span>
            <Sparkline values={sparkline(p.counts, address, p.minute)} color={color} />
            <span className="num">{formatCount(totals.queries)}</span>
            <span className="num muted">{formatShare(totals.queries, p.total)}</span>
          </button>
          <button
            type="button"
            className="device-edit"
            aria-label={`Rename ${address}${name === address ? '' : ` (${name})`}`}
            title={`Rename ${address}`}
            onClick={() => onEdit(true)}
          >
            <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
              <path d="M8.5 1.5l2 2-6.5 6.5H2V8z" fill="none" stroke="currentColor" strokeWidth="1.3" />
            </svg>
          </button>
        </>
      )}
    </li>
  );
}

interface RenameProps {
  readonly device: DeviceInfo;
  readonly color: string;
  readonly onDone: () => void;
  readonly onRename: (address: string, name: string) => Promise<void>;
}

/** Inline name field: Enter saves (an empty name goes back to the hostname), Esc or leaving it cancels. */
function RenameForm({ device, color, onDone, onRename }: RenameProps) {
  const [value, setValue] = useState(device.name);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const save = (e: FormEvent): void => {
    e.preventDefault();
    if (saving) return;
    if (value.trim() === device.name) return onDone();
    setSaving(true);
    setError('');
    onRename(device.address, value).then(onDone, (err: unknown) => {
      setSaving(false);
      setError(err instanceof Error ? err.message : String(err));
    });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onDone();
    }
  };
  return (
    <form className="device-rename" onSubmit={save}>
      <svg className="swatch" width="10" height="10" aria-hidden="true">
        <rect width="10" height="10" rx="2" fill={color} />
      </svg>
      <div className="device-rename-body">
        <input
          type="text"
          value={value}
          // The user asked to rename: the field is what they work with next.
          autoFocus
          readOnly={saving}
          maxLength={DEVICE_NAME_MAX}
          spellCheck={false}
          autoComplete="off"
          placeholder={device.hostname || device.address}
          aria-label={`Name for ${device.address}`}
          aria-invalid={error !== ''}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={() => {
            if (!saving && error === '') onDone();
          }}
        />
        {error ? (
          <span className="device-error" role="alert">
            {error}
          </span>
        ) : (
          <span className="device-sub muted">
            <span className="mono">{device.address}</span> · Enter saves, Esc cancels
          </span>
        )}
      </div>
    </form>
  );
}
