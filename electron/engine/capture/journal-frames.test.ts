import { appendFile, copyFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalChunks, sealedLength } from '../export/journal-read';
import { verifyJournal } from '../export/verify';
import { JournalWriter, lastJournalSeq, scanJournal } from './journal';
import { compressedPath, frameSummary, readFrames } from './journal-frames';
import { exchange, journalLine, journalText, tempDir } from './test-support';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dnsw-frames-'));
});
afterEach(() => cleanup());

const NAMES = ['eu.safethings.avira.com', 'connectivitycheck.gstatic.com', 'time.example.test'];

/**
 * A journal of `blocks` flushes of `per` records each, written by a chained writer compressing every
 * `compactBytes` (0: never); closed unless `open`. Returns its path.
 */
async function write(
  name: string,
  compactBytes: number,
  blocks: number,
  per: number,
  open = false,
  frames: { frameLevel?: number; syncFrames?: boolean } = {},
): Promise<string> {
  const path = join(dir, name);
  const w = new JournalWriter({
    path,
    maxUnwrittenBytes: 1 << 24,
    onWarning: (m) => {
      throw new Error(m);
    },
    chained: true,
    compactBytes,
    ...frames,
  });
  let seq = 0;
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < per; i++) {
      seq++;
      const rec = exchange({ ts: 1_763_859_901_000 + 1000 * seq, qname: NAMES[seq % 3]! }, seq);
      w.append(journalLine(seq, '2026-11-23T01:45:01.000+01:00', 'cap-1', rec), seq, rec.ts);
    }
    await w.flush();
  }
  if (!open) await w.close();
  return path;
}

async function readAll(path: string, upTo?: number): Promise<string> {
  let text = '';
  for await (const chunk of journalChunks(path, upTo)) text += chunk.bytes.toString('utf8');
  return text;
}

describe('compressed journal frames', () => {
  it('hold exactly the lines an uncompressed writer leaves, and every reader reads them so', async () => {
    const plain = await write('plain.ndjson', 0, 40, 5);
    const packed = await write('packed.ndjson', 4096, 40, 5);
    const expected = await readFile(plain, 'utf8');
    // zcat's view (every gzip member, then the plain file) is the journal as written.
    expect(await journalText(packed)).toBe(expected);
    expect(await readAll(packed)).toBe(expected);
    const { frames, last } = await frameSummary(compressedPath(packed));
    expect(frames).toBeGreaterThan(3);
    expect(last).toMatchObject({ to: 200, count: 200 });
    // Closed: everything moved into frames, far smaller than the lines.
    expect((await stat(packed)).size).toBe(0);
    expect((await stat(compressedPath(packed))).size).toBeLessThan(expected.length / 4);
    expect(await lastJournalSeq(packed)).toBe(200);
    const seqs: number[] = [];
    const scan = await scanJournal(packed, (ev) => seqs.push(ev.seq), true);
    expect(scan).toEqual({ events: 200, corrupt: 0, tailBytes: 0, truncateError: '' });
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const r = await verifyJournal(packed);
    expect(r.lines).toEqual([
      'OK packed.ndjson: intact and closed: 200 records in 40 sealed blocks, none changed after capture, none missing',
    ]);
    // The .gz names the same journal.
    expect((await verifyJournal(compressedPath(packed))).lines).toEqual(r.lines);
  });

  it('are deflated at the level asked for (an import asks for 1), and read and verify the same', async () => {
    const live = await write('live.ndjson', 4096, 20, 5);
    const fast = await write('fast.ndjson', 4096, 20, 5, false, { frameLevel: 1, syncFrames: false });
    expect(await journalText(fast)).toBe(await journalText(live));
    for (const [path, level] of [
      [live, 6],
      [fast, 1],
    ] as const) {
      let n = 0;
      for await (const f of readFrames(compressedPath(path))) {
        if (f.kind !== 'frame' || f.raw === null) throw new Error(`frame ${n + 1} of ${path} unreadable`);
        expect(f.hashOk).toBe(true);
        // The frame's deflate bytes are zlib's at that level, byte count for byte count.
        expect(f.header.bytes).toBe(deflateRawSync(f.raw, { level, memLevel: 9 }).length);
        n++;
      }
      expect(n).toBeGreaterThan(2);
    }
    expect((await verifyJournal(fast)).lines).toEqual([
      'OK fast.ndjson: intact and closed: 100 records in 20 sealed blocks, none changed after capture, none missing',
    ]);
  });

  it('keep the unsealed tail plain and cut a running journal after its last seal', async () => {
    const packed = await write('packed.ndjson', 4096, 30, 5, true);
    const plainPart = await readFile(packed, 'utf8');
    // Whatever was written since the last frame, less than a frame's worth (and its last block).
    expect(plainPart.length).toBeLessThan(4096 + 4096);
    const line = journalLine(151, '2026-11-23T01:47:31.000+01:00', 'cap-1', exchange({}, 151));
    await appendFile(packed, `${line}\n{"seq":152,"ts":17`);
    const text = await journalText(packed);
    const cut = await sealedLength(packed);
    expect(text.slice(0, cut).endsWith('"}\n')).toBe(true);
    expect(text.slice(0, cut).trimEnd().split('\n').at(-1)).toMatch(/^\{"chain":30,"from":146,"to":150,/);
    expect(await readAll(packed, cut)).toBe(text.slice(0, cut));
    expect(await lastJournalSeq(packed)).toBe(151);
  });

  it('name a changed compressed byte by block and offset', async () => {
    const packed = await write('packed.ndjson', 4096, 40, 5);
    const gz = compressedPath(packed);
    const bytes = await readFile(gz);
    const second = (await framesOf(gz))[1]!;
    // A byte in the middle of the second frame's deflate data.
    const at = second.offset + Math.floor(second.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(gz, bytes);
    const r = await verifyJournal(packed);
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe(
      `MISMATCH packed.ndjson: records ${second.from}–${second.to} (compressed block 2, at byte ${second.offset.toLocaleString('en-US')} of the .gz file): its compressed bytes were changed after they were sealed (SHA-256 does not match)`,
    );
    // Loading it skips what cannot be read and keeps every other record.
    const seqs: number[] = [];
    const scan = await scanJournal(packed, (ev) => seqs.push(ev.seq), true);
    expect(scan!.corrupt).toBeGreaterThan(0);
    expect(seqs).toContain(1);
    expect(seqs).toContain(200);
  });

  it('are read once when a stop left the same lines in the plain file too', async () => {
    // As if the writer stopped after writing a frame, before the fresh plain file took the name.
    const packed = await write('packed.ndjson', 0, 10, 5, true);
    const copy = join(dir, 'copy.ndjson');
    await copyFile(packed, copy);
    const w = new JournalWriter({
      path: join(dir, 'next.ndjson'),
      maxUnwrittenBytes: 1 << 24,
      onWarning: () => undefined,
      chained: true,
      compactBytes: 1,
    });
    // Same lines, compressed by a writer of its own, the plain copy put back beside the frame.
    for (const line of (await readFile(packed, 'utf8')).split('\n'))
      if (line.startsWith('{"seq"')) {
        const seq = (JSON.parse(line) as { seq: number }).seq;
        w.append(line, seq);
        if (seq % 5 === 0) await w.flush();
      }
    await rename(compressedPath(join(dir, 'next.ndjson')), compressedPath(copy));
    expect(await journalText(copy)).toBe((await readFile(packed, 'utf8')).repeat(2));
    const expected = await readFile(packed, 'utf8');
    expect(await readAll(copy)).toBe(expected);
    const seqs: number[] = [];
    expect(await scanJournal(copy, (ev) => seqs.push(ev.seq), true)).toEqual({
      events: 50,
      corrupt: 0,
      tailBytes: 0,
      truncateError: '',
    });
    expect((await verifyJournal(copy)).exitCode).toBe(2); // open: no closing seal, nothing changed
  });

  it('cut a frame torn by a stop off on load; its lines are still in the plain file', async () => {
    const packed = await write('packed.ndjson', 0, 10, 5, true);
    const gz = compressedPath(packed);
    await writeFile(gz, Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 2, 255, 40, 0, 0x44, 0x57, 36, 0, 0x7b]));
    const r = await verifyJournal(packed);
    expect(r.lines).toContain(
      'UNVERIFIED packed.ndjson: the compressed part ends with 17 bytes of a block cut off while it was written (the app stopped while compressing it); its lines were read from the plain file',
    );
    const scan = await scanJournal(packed, () => undefined, true);
    expect(scan).toMatchObject({ events: 50, corrupt: 0, tailBytes: 17 });
    expect((await stat(gz)).size).toBe(0);
  });
});

/** Offsets, lengths and record ranges of the frames in `gz`. */
async function framesOf(gz: string): Promise<{ offset: number; length: number; from: number; to: number }[]> {
  const out: { offset: number; length: number; from: number; to: number }[] = [];
  for await (const f of readFrames(gz, false))
    if (f.kind === 'frame')
      out.push({ offset: f.offset, length: f.length, from: f.header.from, to: f.header.to });
  return out;
}
