import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { DevicesPanel } from './components/DevicesPanel';
import { EmptyState } from './components/EmptyState';
import { ImportDialog, useImports } from './components/ImportDialog';
import { useEvidenceExport } from './components/EvidenceExport';
import { PanelTabs, type LowerPanel } from './components/PanelTabs';
import { QueryLog } from './components/QueryLog';
import { RequestsChart, type ChartMode } from './components/RequestsChart';
import { SetupButtons, SetupLayer, type SetupDialog } from './components/SetupLayer';
import { StatusBar } from './components/StatusBar';
import { Toasts } from './components/Toasts';
import { Toolbar } from './components/Toolbar';
import { TopDomains } from './components/TopDomains';
import { WatchBanner } from './components/WatchBanner';
import { WatchInsights } from './components/WatchInsights';
import { WatchPanel } from './components/WatchPanel';
import {
  autoRange,
  buildChart,
  currentCapture,
  RANGES,
  rangeWindow,
  snapshotMinutesFor,
  type RangeKey,
} from './lib/chart-series';
import type { Dashboard } from './lib/dashboard';
import { deviceLabels } from './lib/devices';
import { useDashboardView, useDebounced, useNameCounts, useNow, useThrottled } from './lib/hooks';
import { normalizeName, toQueryFilter, type ViewFilter } from './lib/query-filter';
import { clientFindings, routerFindings } from './lib/watch-text';
import { EVIDENCE_ROOT_ATTR } from './lib/screenshot';
import { useEngineTheme } from './lib/theme';
import { isoLocal, minuteOf } from '@shared/time';

/** How often live queries are added to the top-domains count. */
const RECOUNT_MS = 1_000;
const CHART_REDRAW_MS = 1_000;
const NO_MARKERS: readonly never[] = [];

/** The dashboard: status bar, filters, devices, chart, top domains and the query log. */
export function App({ dashboard }: { readonly dashboard: Dashboard }) {
  useEffect(() => dashboard.start(), [dashboard]);
  const view = useDashboardView(dashboard);
  useEngineTheme(dashboard, view.connection === 'open');
  const now = useNow(1000) + view.clockOffsetMs;
  const [selected, setSelected] = useState<string | null>(null);
  const [nameInput, setNameInput] = useState('');
  const name = normalizeName(useDebounced(nameInput, 200));
  // null until the user picks a range: then the default follows the data (autoRange).
  const [chosenRange, setRange] = useState<RangeKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [panel, setPanel] = useState<LowerPanel>('log');
  const [watchOnly, setWatchOnly] = useState(false);
  const [chartMode, setChartMode] = useState<ChartMode>('all');
  const watch = useSyncExternalStore(dashboard.subscribe, dashboard.getWatchView);
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(
    () =>
      dashboard.onUiCommand((c) => {
        if (c.command !== 'focus-search') return;
        // The filters appear with the first device; until then there is nothing to search.
        const input = searchRef.current;
        if (!input) return;
        setPanel('log');
        input.focus();
        input.select();
      }),
    [dashboard],
  );
  const [setupDialog, setSetupDialog] = useState<SetupDialog>(null);
  const [importOpen, setImportOpen] = useState(false);
  const imports = useImports(dashboard);
  const invoke = useMemo<Dashboard['invoke']>(() => dashboard.invoke.bind(dashboard), [dashboard]);
  // The export message the user closed; a different one shows again.
  const [dismissedNote, setDismissedNote] = useState('');

  const filter: ViewFilter = useMemo(() => ({ client: selected, name }), [selected, name]);
  const firstMinute = view.loaded ? dashboard.state.firstMinute() : undefined;
  const range = chosenRange ?? autoRange(currentCapture(view.captures)?.startedAt ?? firstMinute, now);
  const { from, to, live } = rangeWindow(range, now, view.captures, firstMinute);
  const timeWindow = useMemo(() => ({ from, to, live }), [from, to, live]);
  useEffect(
    () => dashboard.ensureRetained(snapshotMinutesFor(timeWindow, Date.now())),
    [dashboard, timeWindow],
  );

  // Per-minute counts need no more than one redraw a second (a chart redraw is the costliest update); a new
  // device redraws at once. The chart reads only addresses and colors from the device list, and orders its
  // series itself: devices overtaking each other as their counts grow wait for the next redraw.
  const chartRevision = useThrottled(view.bucketsVersion, CHART_REDRAW_MS);
  const deviceSet = view.deviceSetVersion;
  const labels = useMemo(
    () =>
      deviceLabels(
        view.devices.map((d) => d.address),
        view.deviceInfo,
      ),
    // deviceSet stands for the addresses in view.devices, which changes with every count.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [deviceSet, view.deviceInfo],
  );
  const routers = useMemo(
    () => new Set([...view.deviceInfo.values()].filter((d) => d.isRouter).map((d) => d.address)),
    [view.deviceInfo],
  );
  const watchRevision = useThrottled(watch.bucketsVersion, CHART_REDRAW_MS);
  const chart = useMemo(
    () => {
      const category = (rule: string) => watch.rulesById.get(rule)?.category;
      // Connectivity checks are not what the overlay is for; "watchlist only" shows every watched query.
      const alarming = dashboard.watch.buckets.counts((rule) => category(rule) !== 'connectivity');
      const watched = dashboard.watch.buckets.counts(() => true);
      return buildChart({
        counts: chartMode === 'watchlist' ? watched : dashboard.state,
        window: timeWindow,
        devices: view.devices,
        selected,
        labels,
        routers,
        ...(chartMode === 'all' ? { watch: alarming } : {}),
      });
    },
    // chartRevision, watchRevision and deviceSet stand for the buckets and devices, which change more often
    // than needed here.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [
      dashboard,
      timeWindow,
      deviceSet,
      selected,
      chartRevision,
      watchRevision,
      watch.rulesById,
      chartMode,
      labels,
      routers,
    ],
  );
  const routerModel = watch.settings?.routerModel ?? '';
  const findings = useMemo(
    () =>
      watch.report
        ? {
            router: routerFindings(watch.report, view.deviceInfo, routerModel),
            clients: clientFindings(watch.report, view.deviceInfo),
          }
        : { router: [], clients: [] },
    [watch.report, view.deviceInfo, routerModel],
  );
  const openWatchlist = useCallback(() => setPanel('watchlist'), []);
  const markers = watch.report?.markers ?? NO_MARKERS;
  const selectedLabel = selected === null ? null : (labels.get(selected) ?? selected);
  const onRename = useCallback(
    (address: string, newName: string) => dashboard.renameDevice(address, newName),
    [dashboard],
  );
  const onMoreDevices = useCallback(() => void dashboard.moreDevices(), [dashboard]);
  const queryFilter = useMemo(() => toQueryFilter(filter, timeWindow), [filter, timeWindow]);
  const names = useNameCounts(dashboard, queryFilter, useThrottled(view.ringVersion, RECOUNT_MS));

  const runCapture = (action: 'capture:start' | 'capture:stop'): void => {
    setBusy(true);
    dashboard
      .invoke(action, undefined)
      .then(() => dashboard.refreshStatus())
      .catch((err: unknown) =>
        dashboard.state.setError(
          `Could not ${action === 'capture:start' ? 'start' : 'stop'} the capture: ${String(err)}`,
        ),
      )
      .finally(() => setBusy(false));
  };
  const rangeLabel = RANGES.find((r) => r.key === range)?.label ?? '';
  const exportName = normalizeName(nameInput);
  const scope = [selectedLabel ?? 'All devices', range === 'capture' ? 'whole capture' : `last ${rangeLabel}`]
    .concat(exportName ? [`name contains “${exportName}”`] : [])
    .concat(watchOnly ? ['watchlist matches only'] : [])
    .join(' · ');
  const firstCapture = view.captures[0];
  const lastCapture = view.captures[view.captures.length - 1];
  // The exports take the name as typed, not as debounced for the live views: a click right after typing
  // must not export unfiltered queries. They follow the log's "watchlist only" view too.
  const exportFilter = useMemo(() => {
    const typed = toQueryFilter({ client: selected, name: nameInput }, timeWindow);
    return watchOnly ? { ...typed, watched: true } : typed;
  }, [selected, nameInput, timeWindow, watchOnly]);
  const evidence = useEvidenceExport(dashboard, exportFilter, {
    period: firstCapture
      ? `${isoLocal(firstCapture.startedAt)} – ${lastCapture?.stoppedAt ? isoLocal(lastCapture.stoppedAt) : 'recording'}`
      : 'no capture',
    shown: `${isoLocal(from)} – ${isoLocal(to)}`,
    filters: scope,
  });

  let body;
  if (!view.loaded) {
    body = (
      <div className="connecting" role="status">
        {view.error ||
          (view.connection === 'reconnecting' ? 'Reconnecting to the engine…' : 'Connecting to the engine…')}
      </div>
    );
  } else {
    // Before the first query the guidance takes the log's place; the chart is mounted already, so the first
    // query only feeds it data (its first mount is the slowest render of the page).
    const empty = view.devices.length === 0;
    const tabs = (
      <PanelTabs
        panel={panel}
        onPanel={setPanel}
        seen={watch.report?.rules.length ?? 0}
        alarm={findings.router.some((f) => f.tone === 'alarm')}
      />
    );
    body = (
      <>
        {!empty && (
          <Toolbar
            devices={view.devices}
            labels={labels}
            selected={selected}
            onSelect={setSelected}
            name={nameInput}
            onName={setNameInput}
            range={range}
            onRange={setRange}
            exports={evidence.actions}
            progress={evidence.progress}
            searchRef={searchRef}
            onImport={() => setImportOpen(true)}
          />
        )}
        {!empty && (
          <WatchBanner router={findings.router} clients={findings.clients} onDetails={openWatchlist} />
        )}
        {!empty && (
          <WatchInsights
            report={watch.report}
            devices={view.deviceInfo}
            windowS={watch.settings?.correlationWindowS ?? null}
            onWindow={(seconds) => {
              dashboard
                .setCorrelationWindow(seconds)
                .catch((err: unknown) =>
                  dashboard.state.setError(`Could not change the window: ${String(err)}`),
                );
            }}
          />
        )}
        <main className="grid">
          <div className="side">
            <DevicesPanel
              devices={view.devices}
              info={view.deviceInfo}
              newDevices={view.newDevices}
              onRename={onRename}
              labels={labels}
              total={view.totalQueries}
              counts={dashboard.state}
              minute={minuteOf(now)}
              selected={selected}
              onSelect={setSelected}
              other={view.otherDevices}
              onMore={onMoreDevices}
            />
            <TopDomains names={names} scope={scope} />
          </div>
          <div className="content">
            {empty && (
              <EmptyState
                status={view.status}
                onStart={() => runCapture('capture:start')}
                invoke={invoke}
                onSetup={() => setSetupDialog('setup')}
                onImport={() => setImportOpen(true)}
              />
            )}
            <RequestsChart
              model={chart}
              selectedLabel={selectedLabel}
              markers={markers}
              mode={chartMode}
              onMode={setChartMode}
            />
            {!empty && panel === 'log' && (
              <QueryLog
                key={`${selected ?? ''}|${name}|${watchOnly}`}
                dashboard={dashboard}
                filter={filter}
                labels={labels}
                ringVersion={view.ringVersion}
                rules={watch.rulesById}
                routers={routers}
                watchOnly={watchOnly}
                onWatchOnly={setWatchOnly}
                tabs={tabs}
              />
            )}
            {!empty && panel === 'watchlist' && (
              <WatchPanel dashboard={dashboard} view={watch} devices={view.deviceInfo} tabs={tabs} />
            )}
          </div>
        </main>
      </>
    );
  }

  return (
    <div className="app" {...{ [EVIDENCE_ROOT_ATTR]: '' }}>
      {evidence.strip}
      <StatusBar
        view={view}
        now={now}
        busy={busy}
        onStart={() => runCapture('capture:start')}
        onStop={() => runCapture('capture:stop')}
        actions={<SetupButtons onDialog={setSetupDialog} />}
      />
      {body}
      <SetupLayer
        dashboard={dashboard}
        status={view.status}
        dialog={setupDialog}
        onDialog={setSetupDialog}
        routerTraffic={view.devices.some((d) => routers.has(d.address))}
      />
      {importOpen && (
        <ImportDialog
          dashboard={dashboard}
          imports={imports}
          captures={view.captures}
          onClose={() => setImportOpen(false)}
        />
      )}
      <Toasts
        toasts={watch.toasts}
        onDismiss={(id) => dashboard.dismissToast(id)}
        onShow={openWatchlist}
        status={evidence.note === dismissedNote ? '' : evidence.note}
        onDismissStatus={() => setDismissedNote(evidence.note)}
      />
    </div>
  );
}
