import path from 'node:path';
import { run } from './tools';

export interface BeaconAnswer {
  readonly name: string;
  readonly beat: number;
  /** The first A record, "" when none. */
  readonly answer: string;
  readonly rcode: string;
}

export interface BeaconOptions {
  readonly server: string;
  readonly port: number;
  /** The address to ask from (bound before sending). */
  readonly source: string;
  readonly beats: number;
  readonly periodMs: number;
  /** Asked at every beat. */
  readonly every: readonly string[];
  /** Asked once, right after the given beat. */
  readonly once?: readonly { readonly name: string; readonly beat: number }[];
  /** Run inside this network namespace (as that host). */
  readonly netns?: string;
}

const CLIENT = path.resolve(import.meta.dirname, 'beacon-client.mjs');

/**
 * Asks names on a fixed schedule from one process (beacon-client.mjs), so the gaps between queries hold
 * on a loaded machine; resolves with every answer once the last has arrived.
 */
export async function runBeacon(o: BeaconOptions): Promise<BeaconAnswer[]> {
  const args = [
    CLIENT,
    o.server,
    String(o.port),
    String(o.periodMs),
    o.source,
    String(o.beats),
    ...o.every,
    ...(o.once ?? []).map((x) => `${x.name}@${x.beat}`),
  ];
  const timeoutMs = o.beats * o.periodMs + 15_000;
  const r = o.netns
    ? await run('ip', ['netns', 'exec', o.netns, process.execPath, ...args], timeoutMs)
    : await run(process.execPath, args, timeoutMs);
  if (r.code !== 0) throw new Error(`beacon-client failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BeaconAnswer[];
}
