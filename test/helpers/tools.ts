import { execFile, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Fails the calling test with the package to install when a system tool is missing. */
export function requireTool(cmd: string, debianPackage: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`]);
  if (r.status !== 0)
    throw new Error(
      `${cmd} is not installed: run "apt-get install ${debianPackage}" (npm test installs it when it can)`,
    );
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a timeout; resolves with its output, never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve({
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

/** dig against 127.0.0.1:port, short answer section only; `extra` are further dig options. */
export async function dig(
  port: number,
  name: string,
  type = 'A',
  extra: readonly string[] = [],
): Promise<RunResult> {
  return run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', ...extra, name, type]);
}

/** A port free on 127.0.0.1 for both UDP and TCP at the time of the call. */
/**
 * The lowest port the kernel hands out by itself (to clients, and to servers binding port 0); ports below it
 * are taken only by name, so a port found free there stays free unless another test picks the same one.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** A loopback port free for both TCP and UDP, below the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  const low = 10_000;
  const bindable = (port: number, kind: 'tcp' | 'udp'): Promise<boolean> =>
    new Promise((resolve) => {
      if (kind === 'tcp') {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
      } else {
        const u = dgram.createSocket('udp4');
        u.once('error', () => resolve(false));
        u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
      }
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + randomInt(high - low);
    if ((await bindable(port, 'tcp')) && (await bindable(port, 'udp'))) return port;
  }
  throw new Error('no free port found on 127.0.0.1');
}

/** Waits until `check` returns a value (not undefined), polling; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
