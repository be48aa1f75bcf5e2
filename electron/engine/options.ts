import os from 'node:os';
import path from 'node:path';
import type { Clock, RandomSource } from './clock';
import { TCP_PER_CLIENT, type ListenSpec } from './dns/forwarder';
import type { UpstreamSpec } from './dns/upstream';
import type { ConfigField } from '@shared/config';

/** Everything the engine needs to run; the CLI and the desktop settings both produce one. */
export interface EngineOptions {
  readonly listen: readonly ListenSpec[];
  readonly upstreams: readonly UpstreamSpec[];
  /** Ranges allowed in addition to DEFAULT_ALLOWED. */
  readonly allow: readonly string[];
  readonly dataDir: string;
  /** Days to keep stopped captures; 0 keeps them forever. */
  readonly retentionDays: number;
  /** Per upstream attempt. */
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  /** TCP connections one client address may hold at once; more are refused (slow or idle ones first). */
  readonly tcpPerClient: number;
  /** Start recording as soon as the engine opens. */
  readonly autoStartCapture: boolean;
  /** Addresses that are the router (`--router`), besides this computer's default gateways. */
  readonly routers: readonly string[];
  /** dnstap readers (`unix:PATH`, `tcp:HOST:PORT`, validated) that get every exchange. */
  readonly dnstapOut: readonly string[];
  /**
   * Where resolvers beside DNS Witness send their dnstap (`unix:PATH`, `tcp:ADDR:PORT`, validated): their
   * exchanges are recorded as observed. With no DNS listener (`--listen none`) this is all DNS Witness does.
   */
  readonly dnstapIn?: readonly string[];
  /**
   * The settable options the command line gave; the saved settings (settings.json) fill the others. Left out,
   * every option is used as given and saved settings only take effect when saved from the UI.
   */
  readonly commandLine?: readonly ConfigField[];
  /**
   * Runs the forwarder on its own thread (out/main/dns-worker.js, so only from the built app and `serve`);
   * ignored with a synthetic `clock`, which only the main thread's forwarder can use.
   */
  readonly dnsThread?: boolean;
  /** Time and timers for the forwarder, upstreams and capture store; the real clock when left out. */
  readonly clock?: Clock;
  /** Upstream query IDs and loop-probe names; node:crypto when left out. */
  readonly random?: RandomSource;
}

export const DNS_PORT = 53;
export const DEFAULT_RETENTION_DAYS = 30;
export const PRODUCT_NAME = 'DNS Witness';

/**
 * Public resolvers, never the router: the router is about to be pointed at this computer, and using it
 * as the upstream would loop.
 */
export const DEFAULT_UPSTREAMS: readonly UpstreamSpec[] = [
  { host: '1.1.1.1', port: 53 },
  { host: '9.9.9.9', port: 53 },
];

/**
 * This computer's LAN addresses plus loopback, each bound on its own so the forwarder coexists with a stub
 * resolver on 127.0.0.53 (systemd-resolved). IPv6 link-local addresses need a zone and are left out.
 */
export function defaultListen(port = DNS_PORT, interfaces = os.networkInterfaces()): ListenSpec[] {
  const hosts = new Set<string>(['127.0.0.1', '::1']);
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      hosts.add(a.address);
    }
  }
  return [...hosts].map((host) => ({ host, port }));
}

/**
 * The folder Electron uses as userData for this app, plus /data, so the desktop app and `serve` share
 * their captures: ~/.config/DNS Witness (Linux), ~/Library/Application Support/DNS Witness (macOS),
 * %APPDATA%\DNS Witness (Windows).
 */
export function defaultDataDir(platform = process.platform, env = process.env, home = os.homedir()): string {
  const appData =
    platform === 'win32'
      ? (env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? path.join(home, '.config'));
  return path.join(appData, PRODUCT_NAME, 'data');
}

export function defaultEngineOptions(overrides: Partial<EngineOptions> = {}): EngineOptions {
  return {
    listen: defaultListen(),
    upstreams: DEFAULT_UPSTREAMS,
    allow: [],
    dataDir: defaultDataDir(),
    retentionDays: DEFAULT_RETENTION_DAYS,
    timeoutMs: 1500,
    maxInFlight: 2000,
    tcpPerClient: TCP_PER_CLIENT,
    autoStartCapture: true,
    routers: [],
    dnstapOut: [],
    ...overrides,
  };
}
