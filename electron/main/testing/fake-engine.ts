/** A scripted EngineHandle for tests of the code around the engine (the engine has its own tests). */
import type { ImportJob } from '../../engine/import/service';
import { lookupRate } from '@shared/watch/lookup-rate';
import { vi } from 'vitest';
import type { ClientListRequest, ExportProgress, QueryListRequest, SnapshotRequest } from '@shared/api';
import type {
  ClientPage,
  CaptureInfo,
  DeviceInfo,
  EngineStatus,
  EngineWarning,
  QueryBatch,
  QueryEvent,
  QueryFilter,
  QueryPage,
  Snapshot,
} from '@shared/events';
import type { RuleChange, RuleInput, WatchAlert, WatchSettings } from '@shared/watch/messages';
import type { Marker, WatchReport } from '@shared/watch/report';
import { BUILT_IN_RULES, type ActiveRule } from '@shared/watch/rules';
import type { ConfigSaveResult, ConfigValues, ConfigView } from '@shared/config';
import { NO_ALERTS, type AlertsView, type AlertTargetStatus } from '@shared/alerts';
import { restoreText } from '@shared/router-guides';
import {
  NO_PROGRESS,
  type SelfTestResult,
  type SetupProgress,
  type SetupProgressChange,
  type SetupState,
} from '@shared/setup';
import type { ThemeChoice, ThemeSetting } from '@shared/theme';
import type { EngineHandle } from '../../engine/types';
import type { ZipSink } from '../../engine/export/zip-writer';

export const CAPTURE: CaptureInfo = {
  id: 'c1',
  state: 'running',
  startedAt: 1_700_000_000_000,
  stoppedAt: 0,
  queries: 2,
};

/** A device as the registry would describe it once named. */
export function deviceInfo(address: string, name = ''): DeviceInfo {
  return {
    address,
    mac: 'f4:f2:6d:12:34:56',
    vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
    privateMac: false,
    hostname: 'router.lan',
    name,
    isRouter: address === '192.168.0.1',
  };
}

export function statusAt(now: number): EngineStatus {
  return {
    version: '0.0.0-test',
    capture: CAPTURE,
    listeners: [],
    upstreams: [],
    storage: { error: '', lostRecords: 0 },
    counters: {
      queries: 0,
      answered: 0,
      servfail: 0,
      refused: 0,
      malformed: 0,
      unexpectedResponses: 0,
      overload: 0,
      loops: 0,
      inFlight: 0,
    },
    qps: 0,
    warnings: [],
    dataDir: '/tmp/data',
    now,
  };
}

export function queryEvent(seq: number): QueryEvent {
  return {
    seq,
    ts: 1_700_000_000_000 + seq,
    time: '2023-11-14T22:13:20.000Z',
    captureId: 'c1',
    client: '192.168.0.1',
    clientPort: 40000 + seq,
    transport: 'udp',
    qname: `n${seq}.safethings.avira.com`,
    watchRule: 'avira-safethings',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '',
    latencyMs: 1.5,
    upstream: '127.0.0.1:53',
    size: 64,
    error: '',
  };
}

export function batch(n: number, events: number, dropped = 0): QueryBatch {
  return { batch: n, events: Array.from({ length: events }, (_, i) => queryEvent(n * 100 + i)), dropped };
}

/** The engine's view of the built-in rules, none changed. */
export const RULES: readonly ActiveRule[] = BUILT_IN_RULES.map((r) => ({
  ...r,
  builtIn: true,
  block: 'off',
}));

/** A report with one router beacon to Avira SafeThings. */
export function watchReport(markers: readonly Marker[] = []): WatchReport {
  return {
    windowMs: 600_000,
    rules: [
      {
        rule: 'avira-safethings',
        vendor: 'Avira',
        integration: 'SafeThings (TP-Link HomeShield / HomeCare Pro)',
        category: 'security-cloud',
        confidence: 'observed',
        explanation: 'Avira SafeThings',
        queries: 600,
        routerQueries: 600,
        rate: lookupRate(
          Array.from({ length: 600 }, (_, i) => CAPTURE.startedAt + i * 1000),
          600_000,
        ),
        devices: [],
      },
    ],
    markers,
    effects: [],
  };
}

export const ALERT: WatchAlert = {
  rule: 'avira-safethings',
  vendor: 'Avira',
  integration: 'SafeThings (TP-Link HomeShield / HomeCare Pro)',
  category: 'security-cloud',
  address: '192.168.0.1',
  ts: CAPTURE.startedAt,
  message: 'Your router 192.168.0.1 contacted Avira SafeThings (TP-Link HomeShield / HomeCare Pro).',
};

export interface FakeEngine extends EngineHandle {
  /** CSV chunks `csv()` yields; an Error in the list is thrown at that point. */
  csvChunks: (string | Error)[];
  emitBatch(b: QueryBatch): void;
  emitStatus(s: EngineStatus): void;
  emitWarning(w: EngineWarning): void;
  emitDevice(d: DeviceInfo): void;
  emitWatchReport(r: WatchReport): void;
  emitWatchAlert(a: WatchAlert): void;
  emitExportProgress(p: ExportProgress): void;
  emitTheme(t: ThemeSetting): void;
  listenerCount(): number;
}

export function fakeEngine(): FakeEngine {
  const batches = new Set<(b: QueryBatch) => void>();
  const statuses = new Set<(s: EngineStatus) => void>();
  const warnings = new Set<(w: EngineWarning) => void>();
  const devices = new Set<(d: DeviceInfo) => void>();
  const reports = new Set<(r: WatchReport) => void>();
  const alerts = new Set<(a: WatchAlert) => void>();
  const exportProgress = new Set<(p: ExportProgress) => void>();
  const themes = new Set<(t: ThemeSetting) => void>();
  let theme: ThemeChoice = 'system';
  let markers: Marker[] = [];
  let settings: WatchSettings = { routerModel: '', correlationWindowS: 3 };
  let progress: SetupProgress = NO_PROGRESS;
  let config: ConfigValues = { listen: [], upstreams: [], allow: [], retentionDays: 30, dataDir: '' };
  const view = (): ConfigView => ({
    values: config,
    effective: { ...config, listen: ['192.168.0.23:53'], upstreams: ['1.1.1.1:53'], dataDir: '/data' },
    commandLine: [],
    restartNeeded: [],
    file: '/data/settings.json',
    saved: true,
  });
  const subscribe = <T>(set: Set<(v: T) => void>, l: (v: T) => void): (() => void) => {
    set.add(l);
    return () => set.delete(l);
  };
  const engine: FakeEngine = {
    csvChunks: ['seq,time\n', '1,a\n', '2,b\n'],
    startCapture: vi.fn((): CaptureInfo => CAPTURE),
    stopCapture: vi.fn(async (): Promise<CaptureInfo | null> => ({
      ...CAPTURE,
      state: 'stopped',
      stoppedAt: 1,
    })),
    snapshot: vi.fn((_req: SnapshotRequest): Snapshot => ({
      lastSeq: 0,
      status: statusAt(1),
      captures: [CAPTURE],
      clients: [],
      minutes: [],
      recent: [],
      devices: [deviceInfo('192.168.0.1')],
    })),
    clientPage: vi.fn((req: ClientListRequest): ClientPage => ({
      total: 1,
      queries: 2,
      offset: req.offset ?? 0,
      limit: req.limit ?? 100,
      clients: [{ address: '192.168.0.1', queries: 2, firstSeen: 1, lastSeen: 2 }],
      devices: [deviceInfo('192.168.0.1')],
    })),
    queries: vi.fn(async (req: QueryListRequest): Promise<QueryPage> => ({
      total: 1,
      offset: req.offset ?? 0,
      limit: req.limit ?? 100,
      events: [queryEvent(1)],
    })),
    status: vi.fn((): EngineStatus => statusAt(2)),
    csv: vi.fn((_filter: QueryFilter): AsyncIterable<string> => {
      const chunks = engine.csvChunks;
      return (async function* () {
        for (const chunk of chunks) {
          if (chunk instanceof Error) throw chunk;
          yield chunk;
        }
      })();
    }),
    pcap: vi.fn((_filter: QueryFilter): AsyncIterable<Uint8Array> =>
      (async function* () {
        yield Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1]);
      })(),
    ),
    dnstap: vi.fn((_filter: QueryFilter): AsyncIterable<Uint8Array> =>
      (async function* () {
        yield Uint8Array.from([0, 0, 0, 0]);
      })(),
    ),
    bundle: vi.fn(async (_filter: QueryFilter, screenshot: Uint8Array | null, sink: ZipSink) => {
      await sink(Uint8Array.from([0x50, 0x4b, 0x05, 0x06]));
      if (screenshot) await sink(screenshot);
      return { files: [], csvRows: 0, journals: [] };
    }),
    installKey: vi.fn(async () => ({ algorithm: 'Ed25519' as const, fingerprint: '0123 4567' })),
    onExportProgress: (l) => subscribe(exportProgress, l),
    startImport: vi.fn((_job: ImportJob): void => undefined),
    cancelImport: vi.fn((_id: string): boolean => false),
    onImportProgress: () => () => undefined,
    emitExportProgress: (p) => exportProgress.forEach((l) => l(p)),
    renameDevice: vi.fn(async (address: string, name: string): Promise<DeviceInfo> => {
      if (name.length > 64) throw new Error('A device name can have at most 64 characters.');
      return deviceInfo(address, name);
    }),
    setRouters: vi.fn(async (addresses: readonly string[]): Promise<DeviceInfo[]> =>
      addresses.map((a) => ({ ...deviceInfo(a), isRouter: true })),
    ),
    watchReport: vi.fn((): WatchReport => watchReport(markers)),
    watchRules: vi.fn((): readonly ActiveRule[] => RULES),
    updateWatchRule: vi.fn(async (id: string, change: RuleChange): Promise<ActiveRule> => {
      const rule = RULES.find((r) => r.id === id);
      if (!rule) throw new Error(`no watchlist rule "${id}"`);
      return { ...rule, ...change };
    }),
    saveWatchRule: vi.fn(async (input: RuleInput): Promise<ActiveRule> => ({
      ...input,
      id: input.id ?? 'user-0000abcd',
      routerBrands: [],
      confidence: 'user',
      confidenceNote: 'added by you',
      enabled: true,
      evidence: '',
      sources: [],
      builtIn: false,
      block: 'off',
    })),
    removeWatchRule: vi.fn(async (_id: string): Promise<void> => undefined),
    watchMinutes: vi.fn((_range: number) => ({
      lastSeq: 7,
      minutes: [
        { minute: CAPTURE.startedAt, counts: [{ rule: 'avira-safethings', client: '192.168.0.1', n: 60 }] },
      ],
    })),
    addMarker: vi.fn(async (label: string, ts = 1_700_000_500_000): Promise<Marker> => {
      const marker = { id: `m-${markers.length}`, ts, label };
      markers = [...markers, marker];
      return marker;
    }),
    removeMarker: vi.fn(async (id: string): Promise<void> => {
      markers = markers.filter((m) => m.id !== id);
    }),
    watchSettings: vi.fn((): WatchSettings => settings),
    setRouterModel: vi.fn(async (model: string): Promise<WatchSettings> => {
      settings = { ...settings, routerModel: model };
      return settings;
    }),
    setCorrelationWindow: vi.fn(async (seconds: number): Promise<WatchSettings> => {
      settings = { ...settings, correlationWindowS: seconds };
      return settings;
    }),
    configView: vi.fn(view),
    saveConfig: vi.fn(async (values: ConfigValues): Promise<ConfigSaveResult> => {
      if (values.retentionDays < 0) return { ok: false, errors: { retentionDays: 'Enter whole days.' } };
      config = values;
      return { ok: true, view: view(), applied: ['retentionDays'], message: 'Saved.' };
    }),
    alertsView: vi.fn((): AlertsView => alertsView),
    saveAlerts: vi.fn(async () => ({ ok: true as const, view: alertsView, message: 'Saved.' })),
    testAlert: vi.fn(async () => ({ ok: true, message: 'Sent a test.' })),
    setupState: vi.fn(async (since: number): Promise<SetupState> => ({
      firstRun: false,
      platform: 'linux',
      addresses: [],
      advice: [],
      routers: ['192.168.0.1'],
      routerQuery: since <= CAPTURE.startedAt ? { address: '192.168.0.1', ts: CAPTURE.startedAt } : null,
      capturing: true,
      progress,
    })),
    selfTest: vi.fn(async (): Promise<SelfTestResult[]> => []),
    saveSetupProgress: vi.fn(async (change: SetupProgressChange): Promise<SetupProgress> => {
      progress = { ...progress, ...(change as Partial<SetupProgress>) };
      return progress;
    }),
    restoreGuidance: vi.fn(() => restoreText(progress)),
    theme: vi.fn((): ThemeSetting => ({ theme })),
    setTheme: vi.fn(async (choice: ThemeChoice): Promise<ThemeSetting> => {
      theme = choice;
      themes.forEach((l) => l({ theme }));
      return { theme };
    }),
    onTheme: (l) => subscribe(themes, l),
    emitTheme: (t) => themes.forEach((l) => l(t)),
    onWatchReport: (l) => subscribe(reports, l),
    onWatchAlert: (l) => subscribe(alerts, l),
    emitWatchReport: (r) => reports.forEach((l) => l(r)),
    emitWatchAlert: (a) => alerts.forEach((l) => l(a)),
    subscribe: (l) => subscribe(batches, l),
    onStatus: (l) => subscribe(statuses, l),
    onWarning: (l) => subscribe(warnings, l),
    onDevice: (l) => subscribe(devices, l),
    emitBatch: (b) => batches.forEach((l) => l(b)),
    emitStatus: (s) => statuses.forEach((l) => l(s)),
    emitWarning: (w) => warnings.forEach((l) => l(w)),
    emitDevice: (d) => devices.forEach((l) => l(d)),
    listenerCount: () =>
      batches.size +
      statuses.size +
      warnings.size +
      devices.size +
      reports.size +
      alerts.size +
      exportProgress.size +
      themes.size,
  };
  return engine;
}

const NO_DELIVERIES: AlertTargetStatus = {
  sent: 0,
  failed: 0,
  dropped: 0,
  lastError: '',
  lastSentAt: 0,
  lastErrorAt: 0,
};

const alertsView: AlertsView = {
  webhook: { ...NO_ALERTS.webhook, status: NO_DELIVERIES },
  ntfy: { ...NO_ALERTS.ntfy, tokenSet: false, status: NO_DELIVERIES },
  mqtt: { ...NO_ALERTS.mqtt, passwordSet: false, connected: false, status: NO_DELIVERIES },
  file: '/tmp/alerts.json',
};
