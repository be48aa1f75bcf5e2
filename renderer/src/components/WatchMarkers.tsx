import { useState } from 'react';
import type { DeviceInfo } from '@shared/events';
import type { WatchReport } from '@shared/watch/report';
import { formatDateMinute } from '../lib/format';
import { describeDevice, effectText, serviceName, userError } from '../lib/watch-text';

interface Props {
  readonly report: WatchReport | null;
  readonly devices: ReadonlyMap<string, DeviceInfo>;
  readonly onRemove: (id: string) => Promise<void>;
}

/** The user's markers, newest first, each with how the watched rates changed after it. */
export function WatchMarkers({ report, devices, onRemove }: Props) {
  const [error, setError] = useState('');
  if (!report) return <p className="panel-note muted">Loading the watchlist…</p>;
  const names = new Map(report.rules.map((r) => [r.rule, serviceName(r)]));
  const markers = [...report.markers].sort((a, b) => b.ts - a.ts);
  return (
    <div className="marker-list">
      <p className="panel-sub muted">
        Add a marker when you change something (switch HomeShield off, update the firmware, block a name): DNS
        Witness compares each watched rate before and after it. Markers show on the chart and in /api/summary.
      </p>
      {error !== '' && (
        <p className="panel-note bad" role="alert">
          {error}
        </p>
      )}
      {markers.length === 0 ? (
        <p className="panel-note muted">No markers yet.</p>
      ) : (
        <ol className="markers">
          {markers.map((m) => {
            const effects = report.effects.filter((e) => e.marker === m.id);
            return (
              <li key={m.id} data-testid="marker-item">
                <div className="marker-head">
                  <span className="marker-dot" aria-hidden="true" />
                  <span className="num muted">{formatDateMinute(m.ts)}</span>
                  <strong className="marker-label-text">{m.label}</strong>
                  <span className="spacer" />
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      setError('');
                      onRemove(m.id).catch((err: unknown) => setError(userError(err)));
                    }}
                  >
                    Remove
                  </button>
                </div>
                {effects.length === 0 ? (
                  <p className="muted effect-none">No watched queries around this marker yet.</p>
                ) : (
                  <ul className="effects">
                    {effects.map((e) => (
                      <li key={`${e.rule} ${e.address}`} data-testid="marker-effect">
                        <strong>{names.get(e.rule) ?? e.rule}</strong> from{' '}
                        {describeDevice(e.address, devices)}: {effectText(e, m)}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
