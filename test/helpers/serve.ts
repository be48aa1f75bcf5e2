import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './tools';

export const HEADLESS = path.resolve(import.meta.dirname, '../../out/main/headless.js');

export interface Served {
  readonly child: ChildProcess;
  readonly dnsPort: number;
  readonly uiPort: number;
  readonly dataDir: string;
  readonly base: string;
  output(): string;
  /** Waits for the process to exit and returns its exit code (or signal name). */
  exited(): Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ServeOptions {
  readonly dataDir?: string;
  readonly args?: string[];
  /** Address the dashboard listens on (default 127.0.0.1); `base` uses it, or 127.0.0.1 for a wildcard. */
  readonly uiHost?: string;
  /** Runs the service under this umask (e.g. 0 to prove it sets its file modes itself). */
  readonly umask?: number;
  /** Resolve as soon as the dashboard is up, before the earlier captures are read (default: after). */
  readonly waitHistory?: boolean;
  /** false: no DNS listener and no upstream (`--listen none`; the args must add a --dnstap-in). */
  readonly dns?: false;
  /** Extra environment variables for the service (e.g. DNS_WITNESS_TEST_HOOKS). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs the built headless service on loopback ports in a temp (or given) data dir, waits for the dashboard URL. */
export async function startServe(upstreamPort: number, opts: ServeOptions = {}): Promise<Served> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'dnsw-serve-')));
  // A port found free can be taken by another test before the service binds it: then other ports, twice more.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServeOn(upstreamPort, opts, dataDir, await freePort(), await freePort());
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startServeOn(
  upstreamPort: number,
  opts: ServeOptions,
  dataDir: string,
  dnsPort: number,
  uiPort: number,
): Promise<Served> {
  const uiHost = opts.uiHost ?? '127.0.0.1';
  const uiAddress = uiHost.includes(':') ? `[${uiHost}]` : uiHost;
  const argv = [
    HEADLESS,
    ...(opts.dns === false
      ? ['--listen', 'none']
      : ['--listen', `127.0.0.1:${dnsPort}`, '--upstream', `127.0.0.1:${upstreamPort}`]),
    '--ui',
    `${uiAddress}:${uiPort}`,
    '--data-dir',
    dataDir,
    ...(opts.args ?? []),
  ];
  const env = { ...process.env, ...opts.env };
  // `exec` keeps the pid, so stop() still signals the service itself.
  const child =
    opts.umask === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(
          'sh',
          [
            '-c',
            `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`,
            process.execPath,
            ...argv,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], env },
        );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  let done = false;
  void exit.then(() => (done = true));
  await waitFor(
    () => {
      if (done && /cannot serve the dashboard on .*: the port is in use/.test(out))
        throw new PortTaken(`serve could not bind its dashboard port:\n${out}`);
      if (done) throw new Error(`serve exited early:\n${out}`);
      return out.includes('dashboard: http://') ? true : undefined;
    },
    15_000,
    'the headless service to start',
  );
  // The earlier captures are read after DNS and the dashboard are up; tests of a restart need them all.
  if (opts.waitHistory !== false)
    await waitFor(
      () => {
        if (done) throw new Error(`serve exited early:\n${out}`);
        return /^history: /m.test(out) ? true : undefined;
      },
      15_000,
      'the headless service to read its history',
    );
  return {
    child,
    dnsPort,
    uiPort,
    dataDir,
    base: `http://${uiHost === '0.0.0.0' || uiHost === '::' ? '127.0.0.1' : uiAddress}:${uiPort}`,
    output: () => out,
    exited: () => exit,
    stop: (signal = 'SIGTERM') => {
      if (!done) child.kill(signal);
      return exit;
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
