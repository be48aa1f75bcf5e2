import { memo } from 'react';
import type { DeviceTotals, MinuteCounts } from '../lib/capture-store';
import { deviceColor, sparkline } from '../lib/chart-series';
import { formatCount, formatShare } from '../lib/format';
import { Sparkline } from './Sparkline';

interface Props {
  readonly devices: readonly DeviceTotals[];
  readonly total: number;
  readonly counts: MinuteCounts;
  /** Start of the current minute (engine time), for the sparkline window. */
  readonly minute: number;
  readonly selected: string | null;
  readonly onSelect: (client: string | null) => void;
}

/** One row per client with its queries, share and the last 30 minutes; clicking a row filters everything. */
export const DevicesPanel = memo(function DevicesPanel(props: Props) {
  return (
    <section className="panel devices" aria-labelledby="devices-title">
      <header className="panel-head">
        <h2 id="devices-title">Devices</h2>
        <span className="muted num">{formatCount(props.devices.length)}</span>
      </header>
      {props.devices.length === 0 ? (
        <p className="panel-note muted">Each device appears here with its first query.</p>
      ) : (
        <DeviceList {...props} />
      )}
    </section>
  );
});

function DeviceList({ devices, total, counts, minute, selected, onSelect }: Props) {
  return (
    <>
      <div className="device-cols muted" aria-hidden="true">
        <span>Device</span>
        <span>30 min</span>
        <span>Queries</span>
        <span>Share</span>
      </div>
      <ul className="device-list" aria-label="Devices">
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
        {devices.map((d) => {
          const color = deviceColor(d.colorIndex);
          const isSelected = d.address === selected;
          return (
            <li key={d.address}>
              <button
                type="button"
                className="device-row"
                aria-pressed={isSelected}
                data-testid="device-row"
                data-address={d.address}
                title={isSelected ? 'Show all devices' : `Show only ${d.address}`}
                onClick={() => onSelect(isSelected ? null : d.address)}
              >
                <span className="device-name">
                  <svg className="swatch" width="10" height="10" aria-hidden="true">
                    <rect width="10" height="10" rx="2" fill={color} />
                  </svg>
                  <span className="device-label">
                    <span className="mono">{d.address}</span>
                    {/* Name, vendor and a router badge go here once devices are identified. */}
                  </span>
                </span>
                <Sparkline values={sparkline(counts, d.address, minute)} color={color} />
                <span className="num">{formatCount(d.queries)}</span>
                <span className="num muted">{formatShare(d.queries, total)}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}
