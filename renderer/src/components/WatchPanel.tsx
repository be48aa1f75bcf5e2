import { memo, useState, type FormEvent, type ReactNode } from 'react';
import type { DeviceInfo } from '@shared/events';
import { MARKER_LABEL_MAX } from '@shared/watch/messages';
import type { Dashboard } from '../lib/dashboard';
import type { WatchView } from '../lib/watch-store';
import { userError } from '../lib/watch-text';
import { RouterModelPicker } from './RouterModelPicker';
import { UnknownNames } from './UnknownNames';
import { WatchMarkers } from './WatchMarkers';
import { WatchRules } from './WatchRules';
import { WatchSeen } from './WatchSeen';

export type WatchSection = 'seen' | 'markers' | 'rules' | 'router';

const SECTIONS: readonly { readonly key: WatchSection; readonly label: string }[] = [
  { key: 'seen', label: 'Seen' },
  { key: 'markers', label: 'Markers' },
  { key: 'rules', label: 'Rules & blocking' },
  { key: 'router', label: 'Router' },
];

interface Props {
  readonly dashboard: Dashboard;
  readonly view: WatchView;
  readonly devices: ReadonlyMap<string, DeviceInfo>;
  /** The panel switcher shown in place of the title. */
  readonly tabs: ReactNode;
}

/**
 * The watchlist: what was seen per rule and device with rates and beacons, the markers and what changed
 * after each, the rules with their blocking, and the router model's firmware fix.
 */
export const WatchPanel = memo(function WatchPanel({ dashboard, view, devices, tabs }: Props) {
  const [section, setSection] = useState<WatchSection>('seen');
  const report = view.report;
  const routerModel = view.settings?.routerModel ?? '';
  return (
    <section className="panel watch-panel" aria-label="Watchlist" data-testid="watch-panel">
      <header className="panel-head">
        {tabs}
        <div className="segmented small" role="group" aria-label="Watchlist section">
          {SECTIONS.map((s) => (
            <button
              key={s.key}
              type="button"
              aria-pressed={section === s.key}
              onClick={() => setSection(s.key)}
            >
              {s.label}
              {s.key === 'markers' && report && report.markers.length > 0 && (
                <span className="seg-count num">{report.markers.length}</span>
              )}
            </button>
          ))}
        </div>
        <AddMarker onAdd={(label) => dashboard.addMarker(label)} />
      </header>
      {view.error !== '' && (
        <p className="panel-note bad" role="alert">
          {view.error}
        </p>
      )}
      <div className="watch-body">
        {section === 'seen' && (
          <WatchSeen report={report} devices={devices} rules={view.rules} routerModel={routerModel} />
        )}
        {section === 'markers' && (
          <WatchMarkers report={report} devices={devices} onRemove={(id) => dashboard.removeMarker(id)} />
        )}
        {section === 'rules' && (
          <WatchRules dashboard={dashboard} rules={view.rules} markers={report?.markers} />
        )}
        {section === 'router' && (
          <>
            <RouterModelPicker model={routerModel} onModel={(m) => dashboard.setRouterModel(m)} />
            <UnknownNames names={report?.unknownNames} routerModel={routerModel} />
          </>
        )}
      </div>
    </section>
  );
});

/** "Add marker" with a label, at the current time; the engine's refusal is shown under the field. */
function AddMarker({ onAdd }: { onAdd: (label: string) => Promise<void> }) {
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError('');
    onAdd(label).then(
      () => {
        setLabel('');
        setBusy(false);
      },
      (err: unknown) => {
        setBusy(false);
        setError(userError(err));
      },
    );
  };
  return (
    <form className="add-marker" onSubmit={submit} aria-label="Add a marker">
      <input
        type="text"
        value={label}
        maxLength={MARKER_LABEL_MAX}
        placeholder="What changed? e.g. HomeShield off"
        aria-label="Marker label"
        aria-invalid={error !== ''}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => {
          setLabel(e.target.value);
          setError('');
        }}
      />
      <button type="submit" className="button small" disabled={busy} title="Marks this moment on the chart">
        Add marker
      </button>
      {error !== '' && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
