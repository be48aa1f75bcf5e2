import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter, scanJournal } from '../capture/journal';
import { exchange, journalLine, tempDir } from '../capture/test-support';
import { describeChain, verifyJournalFile } from './journal-verify';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dnsw-chain-'));
});
afterEach(() => cleanup());

/**
 * A sealed journal of `blocks` flushes with `per` records each, closed unless `open`; returns its path.
 * `afterFlush` sees the writer after each flush, `beforeClose` runs before it is closed.
 */
async function sealedJournal(
  blocks: number,
  per: number,
  open = false,
  path = join(dir, 'journal.ndjson'),
  hooks: { afterFlush?: (w: JournalWriter) => void; beforeClose?: () => Promise<void> } = {},
): Promise<string> {
  const w = new JournalWriter({
    path,
    maxUnwrittenBytes: 1 << 24,
    onWarning: () => undefined,
    chained: true,
  });
  let seq = 0;
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < per; i++) {
      seq++;
      w.append(
        journalLine(seq, '2026-11-23T01:45:01.000+01:00', 'cap-1', exchange({ ts: 1000 * seq }, seq)),
        seq,
      );
    }
    await w.flush();
    hooks.afterFlush?.(w);
  }
  await hooks.beforeClose?.();
  if (!open) {
    await w.close();
    expect(w.unwrittenBytes).toBe(0);
    expect(w.dropped).toBe(0);
  }
  return path;
}

describe('the journal hash chain', () => {
  it('seals every written block and verifies intact', async () => {
    const path = await sealedJournal(3, 4);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(16);
    expect(lines[4]).toMatch(/^\{"chain":1,"from":1,"to":4,"lines":4,"count":4,"sha256":"[0-9a-f]{64}"\}$/);
    expect(lines[14]).toMatch(
      /^\{"chain":3,"from":9,"to":12,"lines":4,"count":12,"sha256":"[0-9a-f]{64}"\}$/,
    );
    // A clean stop ends the journal with a closing seal that carries the final count.
    expect(lines[15]).toMatch(
      /^\{"chain":4,"from":0,"to":0,"lines":0,"count":12,"closed":true,"sha256":"[0-9a-f]{64}"\}$/,
    );
    const r = await verifyJournalFile(path);
    expect(r).toMatchObject({
      state: 'chained',
      records: 12,
      sealed: 12,
      blocks: 3,
      firstSeq: 1,
      lastSeq: 12,
      counted: true,
      closed: true,
      losses: [],
      missing: [],
    });
    expect(r.unsealed).toBeNull();
    expect(describeChain(r)).toBe(
      'intact: 12 records in 3 sealed blocks, none changed after capture; closed cleanly',
    );
    // Loading the journal is not disturbed by its seals.
    const seqs: number[] = [];
    const scan = await scanJournal(path, (ev) => seqs.push(ev.seq), true);
    expect(scan).toMatchObject({ events: 12, corrupt: 0, tailBytes: 0 });
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('names the block of one changed byte and keeps checking the blocks after it', async () => {
    const path = await sealedJournal(3, 4);
    const text = await readFile(path, 'utf8');
    const at = text.indexOf('"seq":6,') + 30;
    const flipped = String.fromCharCode(text.charCodeAt(at) ^ 1);
    await writeFile(path, text.slice(0, at) + flipped + text.slice(at + 1));
    const r = await verifyJournalFile(path);
    expect(r.state).toBe('broken');
    expect(r.problems).toEqual([
      { from: 5, to: 8, message: 'records 5–8 (block 2): changed after they were sealed' },
    ]);
    expect(r.sealed).toBe(8);
  });

  it('notices removed blocks, removed lines and a changed seal', async () => {
    const path = await sealedJournal(3, 2);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    await writeFile(path, [...lines.slice(0, 3), ...lines.slice(6)].join('\n') + '\n');
    expect((await verifyJournalFile(path)).problems[0]?.message).toBe(
      'records 5–6 (block 3): expected block 2 here (blocks removed or reordered)',
    );
    await writeFile(path, [lines[0], ...lines.slice(2)].join('\n') + '\n');
    expect((await verifyJournalFile(path)).problems[0]?.message).toBe(
      'records 1–2 (block 1): changed after they were sealed',
    );
    await writeFile(
      path,
      [...lines.slice(0, 2), lines[2]!.replace(/"sha256":"./, '"sha256":"f'), ...lines.slice(3)].join('\n') +
        '\n',
    );
    const r = await verifyJournalFile(path);
    expect(r.problems.map((p) => p.message)).toContain(
      'records 1–2 (block 1): changed after they were sealed',
    );
  });

  it('reports records after the last seal as unsealed, and an old journal as not chained', async () => {
    const path = await sealedJournal(1, 2, true);
    const extra = journalLine(3, '2026-11-23T01:45:03.000+01:00', 'cap-1', exchange({ ts: 3000 }, 3));
    await writeFile(path, `${await readFile(path, 'utf8')}${extra}\n`);
    const r = await verifyJournalFile(path);
    expect(r.state).toBe('chained');
    expect(r.unsealed).toEqual({ from: 3, to: 3, count: 1 });
    expect(r.closed).toBe(false);
    expect(describeChain(r)).toContain('record 3 after the last seal were not sealed');

    const old = join(dir, 'old.ndjson');
    const w = new JournalWriter({ path: old, maxUnwrittenBytes: 1 << 20, onWarning: () => undefined });
    w.append(extra);
    await w.close();
    const o = await verifyJournalFile(old);
    expect(o.state).toBe('not-chained');
    expect(describeChain(o)).toMatch(/^not chained: 1 records/);
  });

  it('names lines added after the closing seal, and seals whose count does not match', async () => {
    const path = await sealedJournal(2, 2);
    const text = await readFile(path, 'utf8');
    const extra = journalLine(5, '2026-11-23T01:45:05.000+01:00', 'cap-1', exchange({ ts: 5000 }, 5));
    await writeFile(path, `${text}${extra}\n`);
    const r = await verifyJournalFile(path);
    expect(r.state).toBe('broken');
    expect(r.closed).toBe(false);
    expect(r.problems.map((p) => p.message)).toEqual([
      '1 line after the closing seal (added after the journal was closed)',
    ]);
    // Cut after the first seal: what is left verifies, but it has no closing seal.
    const lines = text.trimEnd().split('\n');
    await writeFile(path, `${lines.slice(0, 3).join('\n')}\n`);
    const cut = await verifyJournalFile(path);
    expect(cut).toMatchObject({ state: 'chained', closed: false, counted: true, sealed: 2 });
    expect(describeChain(cut)).toContain('no closing seal yet');
  });

  it('keeps the chain whole through minutes of blocks held for a failing disk', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    // 240 flush periods of 20 records while the folder cannot be made: blocks, seals and all wait in memory.
    const path = await sealedJournal(240, 20, false, join(blocker, 'journal.ndjson'), {
      afterFlush: (w) => expect(w.isFailing).toBe(true),
      beforeClose: () => rm(blocker),
    });
    const r = await verifyJournalFile(path);
    expect(r).toMatchObject({
      state: 'chained',
      closed: true,
      records: 4800,
      sealed: 4800,
      blocks: 240,
      missing: [],
    });
    expect(r.losses).toEqual([]);
  });

  it('seals a loss line for records the disk refused, and names gaps nothing accounts for', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const one =
      Buffer.byteLength(journalLine(1, '2026-11-23T01:45:01.000+01:00', 'cap-1', exchange({}, 1))) + 1;
    const bad = join(blocker, 'journal.ndjson');
    const w = new JournalWriter({
      path: bad,
      maxUnwrittenBytes: one * 2 + 20,
      onWarning: () => undefined,
      chained: true,
    });
    const add = (seq: number): boolean =>
      w.append(
        journalLine(seq, '2026-11-23T01:45:01.000+01:00', 'cap-1', exchange({ ts: 1000 * seq }, seq)),
        seq,
        1000 * seq,
      );
    expect([1, 2, 3, 4].map(add)).toEqual([true, true, false, false]);
    await w.flush();
    await rm(blocker);
    await w.flush();
    expect(add(5)).toBe(true);
    await w.close();
    const r = await verifyJournalFile(bad);
    expect(r).toMatchObject({ state: 'chained', closed: true, sealed: 3, missing: [] });
    expect(r.losses).toEqual([{ lost: 2, fromSeq: 3, toSeq: 4, fromTs: 3000, toTs: 4000 }]);
    expect(describeChain(r)).toContain('2 queries were not saved');
    // Loading skips the loss line without calling it damaged.
    const scan = await scanJournal(bad, () => undefined, false);
    expect(scan).toMatchObject({ events: 3, corrupt: 0, tailBytes: 0 });

    // An older journal with a gap and no loss line: the gap is named.
    const old = join(dir, 'old.ndjson');
    const o = new JournalWriter({
      path: old,
      maxUnwrittenBytes: 1 << 20,
      onWarning: () => undefined,
      chained: true,
    });
    for (const seq of [1, 2, 6])
      o.append(journalLine(seq, '2026-11-23T01:45:01.000+01:00', 'cap-1', exchange({}, seq)), seq);
    await o.close();
    expect((await verifyJournalFile(old)).missing).toEqual([{ from: 3, to: 5 }]);
  });
});
