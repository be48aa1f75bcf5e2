import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointData } from './checkpoint';
import {
  CHECKPOINT_FILE,
  encodeCheckpoint,
  journalBinding,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint';
import { tempDir } from './test-support';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(dir, { recursive: true });
});

afterEach(() => cleanup());

function sample(ts: (i: number) => number): CheckpointData {
  return {
    id: '20261123-014500-abcd',
    queries: 7,
    lastSeq: 2 ** 40,
    minTs: ts(0),
    maxTs: ts(9),
    lastTs: ts(8),
    clients: ['192.168.0.1', 'fd00::2', 'lone \ud800 surrogate "quoted"\n'],
    clientQueries: [3, 2, 2],
    clientFirst: [ts(0), ts(1), ts(2)],
    clientLast: [ts(9), ts(4), ts(8)],
    minutes: [
      { minute: ts(0) - (ts(0) % 60_000), clients: [0, 1], counts: [2, 1] },
      { minute: ts(0) - (ts(0) % 60_000) + 120_000, clients: [2], counts: [2_000_000] },
    ],
    watched: {
      ts: Float64Array.from([ts(0), ts(3), ts(2), ts(9)]),
      group: Uint32Array.from([0, 1, 0, 1]),
      groups: [
        { client: '192.168.0.1', rule: 'avira-safethings', qname: 'eu.safethings.avira.com' },
        { client: 'fd00::2', rule: 'r\u00e9gle', qname: 'b\u00fccher.example' },
      ],
    },
  };
}

describe('checkpoint files', () => {
  it('round-trip whole-ms times as deltas and any other time exactly, strings included', async () => {
    const journal = join(dir, 'journal.ndjson');
    await writeFile(journal, 'a journal\n');
    for (const data of [
      sample((i) => 1_763_859_901_000 + i * 1_013),
      // Out of order, fractional, and far apart.
      sample((i) => 1_763_859_901_000.25 + (i % 2 ? -1 : 1) * i * 86_400_000.5),
    ]) {
      await writeCheckpoint(dir, journal, data);
      const read = await readCheckpoint(dir, data.id, journal);
      expect(read).toEqual({ kind: 'ok', data });
    }
  });

  it('is small: whole-ms deltas take a few bytes per watched query', async () => {
    const data = sample((i) => 1_763_859_901_000 + i);
    const n = 100_000;
    const ts = new Float64Array(n).map((_, i) => 1_763_859_901_000 + i * 1_000 + (i % 7));
    const bytes = encodeCheckpoint(
      { ...data, watched: { ...data.watched, ts, group: new Uint32Array(n) } },
      await journalBinding(join(dir, 'none')),
    );
    expect(bytes.length).toBeLessThan(n * 3 + 1000);
  });

  it('tells a missing, damaged, mismatched and truncated checkpoint apart', async () => {
    const journal = join(dir, 'journal.ndjson');
    const data = sample((i) => 1_763_859_901_000 + i);
    expect(await readCheckpoint(dir, data.id, journal)).toMatchObject({ kind: 'missing' });
    await writeFile(journal, 'line 1\n');
    await writeCheckpoint(dir, journal, data);
    expect(await readCheckpoint(dir, 'another', journal)).toMatchObject({ kind: 'mismatched' });
    await writeFile(journal, 'line 1\nline 2\n');
    expect(await readCheckpoint(dir, data.id, journal)).toEqual({
      kind: 'mismatched',
      reason: 'the journal changed since it was written',
    });
    // Same size, different end.
    await writeFile(journal, 'line 1\n');
    expect((await readCheckpoint(dir, data.id, journal)).kind).toBe('ok');
    await writeFile(journal, 'line 2\n');
    expect((await readCheckpoint(dir, data.id, journal)).kind).toBe('mismatched');
    const bytes = encodeCheckpoint(data, await journalBinding(journal));
    await writeFile(join(dir, CHECKPOINT_FILE), bytes.subarray(0, bytes.length - 1));
    expect(await readCheckpoint(dir, data.id, journal)).toMatchObject({ kind: 'damaged' });
  });
});
