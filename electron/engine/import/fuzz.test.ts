/**
 * Fuzzing the import as a whole (runImport, what `npm run import` and the dashboard run): each format's
 * reader gets random bytes and damaged copies of real files (bit flips, cuts, spliced lines, repeated and
 * dropped spans). Every run must end in a capture or in one ImportError line; any other exception or a hang
 * fails. The PRNG is seeded per format, so a failing case replays: its seed and number are in the message.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportFormat } from '@shared/events';
import { exchangeFrames, START, STOP } from '../../../test/helpers/dnstap-peer';
import { FORMATS } from './formats';
import { runImport } from './run';
import { adguardLine, beaconQueries, seeded } from './test-support';
import { ImportError } from './types';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/import');
const fixture = (...parts: string[]): Buffer => readFileSync(path.join(FIXTURES, ...parts));
/** Runs per format: random inputs and mutations, bounded; IMPORT_FUZZ_RUNS=N runs a longer session. */
const RUNS = Number(process.env.IMPORT_FUZZ_RUNS) || 200;
/** A run that has not ended by then is a hang (the largest input here is a few KiB). */
const HANG_MS = 20_000;

/** Real files of each format: recorded by the programs that write them, or written to their documented layout. */
const SAMPLES: Readonly<Record<ImportFormat, readonly Buffer[]>> = {
  adguard: [
    fixture('adguard', 'querylog.json'),
    Buffer.from(
      beaconQueries(Date.parse('2026-11-20T09:00:00Z'), 20)
        .map((q) => `${adguardLine(q)}\n`)
        .join(''),
    ),
  ],
  dnsmasq: [fixture('dnsmasq', 'log-queries.log'), fixture('dnsmasq', 'log-queries-extra.log')],
  pcap: [fixture('pcap', 'lo-ethernet.pcap'), fixture('pcap', 'any-linux-sll2.pcap')],
  pcapng: [fixture('pcap', 'lo-dumpcap.pcapng')],
  zeek: [fixture('zeek', 'dns.log'), fixture('zeek', 'dns.json')],
  dnstap: [
    Buffer.concat([
      START,
      exchangeFrames(['gw.safethings.avira.com', 'www.example.test', 'nope.test']),
      STOP,
    ]),
  ],
  // Fuzzed on its own in formats/pihole.test.ts: its samples are databases the sqlite3 CLI builds from
  // FTL's schema, and each run opens a WebAssembly SQLite, too slow for this loop's run count.
  pihole: [],
};

type Rand = () => number;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const randomBytes = (rand: Rand, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, () => int(rand, 256)));

/** Lines of `b` (kept with their "\n"), for the line-level mutations of text formats. */
function lines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const nl = b.indexOf(10, at);
    const end = nl < 0 ? b.length : nl + 1;
    out.push(b.subarray(at, end));
    at = end;
  }
  return out;
}

/** One damaged copy of `base` (with `other`, another sample, for splices); what each kind does is its name. */
function damage(base: Buffer, other: Buffer, rand: Rand): { kind: string; bytes: Buffer } {
  const out = Buffer.from(base);
  switch (int(rand, 7)) {
    case 0: {
      const flips = 1 + int(rand, 8);
      for (let i = 0; i < flips && out.length > 0; i++) out[int(rand, out.length)]! ^= 1 << int(rand, 8);
      return { kind: 'bit flips', bytes: out };
    }
    case 1:
      return { kind: 'truncated', bytes: out.subarray(0, int(rand, out.length + 1)) };
    case 2: {
      // A line of one file inside another (two logs concatenated badly, a rotated part cut in).
      const a = lines(base);
      const b = lines(other);
      if (b.length > 0) a.splice(int(rand, a.length + 1), 0, b[int(rand, b.length)]!);
      return { kind: 'spliced line', bytes: Buffer.concat(a) };
    }
    case 3: {
      const a = lines(base);
      if (a.length > 1) a.splice(int(rand, a.length), 1 + int(rand, 3));
      return { kind: 'dropped lines', bytes: Buffer.concat(a) };
    }
    case 4: {
      // A cut in the middle of one file joined to the rest of another.
      const cut = int(rand, base.length + 1);
      return {
        kind: 'spliced files',
        bytes: Buffer.concat([base.subarray(0, cut), other.subarray(int(rand, other.length + 1))]),
      };
    }
    case 5: {
      const at = int(rand, out.length + 1);
      const len = 1 + int(rand, 64);
      return { kind: 'repeated span', bytes: Buffer.concat([out.subarray(0, at + len), out.subarray(at)]) };
    }
    default: {
      const at = int(rand, out.length + 1);
      return {
        kind: 'random bytes inside',
        bytes: Buffer.concat([out.subarray(0, at), randomBytes(rand, 1 + int(rand, 256)), out.subarray(at)]),
      };
    }
  }
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-fuzz-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Imports `bytes` as `format`; what it ended in, or a thrown Error when it hung or threw anything else. */
async function outcome(
  format: ImportFormat | 'auto',
  bytes: Buffer,
  label: string,
): Promise<'capture' | 'error'> {
  const file = path.join(work, 'input');
  await writeFile(file, bytes);
  const run = runImport({
    files: [file],
    format,
    dataDir: path.join(work, 'data'),
    // The recorded pcaps asked dnsmasq on port 15454.
    ports: [15454],
    keepPartial: bytes.length % 2 === 0,
  });
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no end after ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const r = await Promise.race([run, hang]);
    expect(r.captureId, label).toMatch(/\S/);
    expect(r.queries + r.skipped, label).toBeGreaterThanOrEqual(0);
    return 'capture';
  } catch (err) {
    if (!(err instanceof ImportError)) throw new Error(`${label}: ${String((err as Error)?.stack ?? err)}`);
    expect(err.message, label).not.toContain('\n');
    expect(err.message.length, label).toBeLessThan(400);
    return 'error';
  } finally {
    clearTimeout(timer);
  }
}

describe('import fuzzing', () => {
  for (const spec of FORMATS.filter((f) => f.read !== null && f.id !== 'pihole')) {
    const samples = SAMPLES[spec.id];
    it(
      `${spec.id}: random and damaged files end in a capture or one ImportError line`,
      { timeout: 300_000 },
      async () => {
        expect(samples.length, `a sample of ${spec.id}`).toBeGreaterThan(0);
        // The samples themselves import.
        for (const [i, s] of samples.entries())
          expect(await outcome(spec.id, s, `${spec.id} sample ${i}`)).toBe('capture');
        const seed = 0xf022 + spec.id.charCodeAt(0) * 31 + spec.id.length;
        const rand = seeded(seed);
        const ends = { capture: 0, error: 0 };
        for (let i = 0; i < RUNS; i++) {
          const base = samples[i % samples.length]!;
          const other = samples[(i + 1) % samples.length]!;
          let kind: string;
          let bytes: Buffer;
          if (i % 10 === 0) {
            kind = 'random bytes';
            bytes = randomBytes(rand, int(rand, 4096));
          } else if (i % 10 === 1) {
            // The file's real start, so the reader itself (not only detection) meets the noise.
            kind = 'real head, random rest';
            bytes = Buffer.concat([base.subarray(0, 24 + int(rand, 64)), randomBytes(rand, int(rand, 2048))]);
          } else ({ kind, bytes } = damage(base, other, rand));
          // Half the runs name the format, half let it be recognised.
          const format = i % 2 === 0 ? spec.id : 'auto';
          ends[
            await outcome(format, bytes, `${spec.id} seed ${seed} case ${i} (${kind}, --format ${format})`)
          ]++;
        }
        // Both ends happen: the damage is sometimes harmless, sometimes not.
        expect(ends.capture + ends.error).toBe(RUNS);
        expect(ends.error).toBeGreaterThan(0);
      },
    );
  }
});
