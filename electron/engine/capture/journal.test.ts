import { existsSync } from 'node:fs';
import { appendFile, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from './columns';
import {
  describeFsError,
  ensureDir,
  ensureDirSync,
  JournalWriter,
  lastJournalSeq,
  parseJournalLine,
  scanJournal,
} from './journal';
import { exchange, journalLine, tempDir } from './test-support';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

function line(seq: number, over: Parameters<typeof exchange>[0] = {}): string {
  return journalLine(seq, '2026-11-23T01:45:01.000Z', 'cap-1', exchange({ ts: 1000 * seq, ...over }, seq));
}

async function scan(path: string, truncate = true): Promise<{ events: StoredEvent[]; result: unknown }> {
  const events: StoredEvent[] = [];
  const result = await scanJournal(path, (ev) => events.push(ev), truncate);
  return { events, result };
}

describe('journalLine', () => {
  it('is the event as JSON plus base64 wire bytes, escaping hostile strings like JSON.stringify', () => {
    const rec = exchange({
      qname: 'we"ird\\name\u0001\u2028.example',
      answers: 'lone \ud800 surrogate, emoji 😀',
      error: '',
      transport: 'tcp',
      watchRule: 'avira-"safethings"',
    });
    const parsed = JSON.parse(journalLine(7, '2026-11-23T01:45:01.000Z', 'cap-1', rec)) as Record<
      string,
      unknown
    >;
    expect(parsed).toEqual({
      seq: 7,
      ts: rec.ts,
      time: '2026-11-23T01:45:01.000Z',
      captureId: 'cap-1',
      client: rec.client,
      clientPort: rec.clientPort,
      transport: 'tcp',
      qname: rec.qname,
      qtype: rec.qtype,
      rcode: rec.rcode,
      answers: JSON.parse(JSON.stringify(rec.answers)) as string,
      latencyMs: rec.latencyMs,
      upstream: rec.upstream,
      size: rec.size,
      error: '',
      watchRule: 'avira-"safethings"',
      q: Buffer.from(rec.queryWire).toString('base64'),
      r: Buffer.from(rec.responseWire!).toString('base64'),
    });
  });

  it('leaves out r when no response was sent, and writes non-finite numbers as null', () => {
    const parsed = JSON.parse(
      journalLine(1, 't', 'c', exchange({ responseWire: null, latencyMs: Number.NaN })),
    ) as Record<string, unknown>;
    expect('r' in parsed).toBe(false);
    expect(parsed.latencyMs).toBeNull();
    expect(parseJournalLine(journalLine(1, 't', 'c', exchange({ latencyMs: Number.NaN })))?.latencyMs).toBe(
      0,
    );
  });

  it('encodes a view of a larger buffer by its own bytes only', () => {
    const big = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    const parsed = JSON.parse(journalLine(1, 't', 'c', exchange({ queryWire: big.subarray(2, 5) }))) as {
      q: string;
    };
    expect([...Buffer.from(parsed.q, 'base64')]).toEqual([1, 2, 3]);
  });
});

describe('parseJournalLine', () => {
  it('rejects what is not an event', () => {
    for (const bad of [
      '',
      'nope',
      '[]',
      'null',
      '{"seq":"1","ts":1,"client":"a","qname":"b"}',
      '{"seq":0,"ts":1,"client":"a","qname":"b"}',
      '{"seq":1,"client":"a","qname":"b"}',
    ]) {
      expect(parseJournalLine(bad)).toBeNull();
    }
    expect(parseJournalLine('{"seq":1,"ts":5,"client":"a","qname":"b"}')).toMatchObject({
      seq: 1,
      ts: 5,
      transport: 'udp',
      rcode: '',
    });
  });
});

describe('scanJournal', () => {
  it('resolves null for a missing journal', async () => {
    expect(await scanJournal(join(dir, 'none.ndjson'), () => undefined, true)).toBeNull();
  });

  it('cuts a torn last line back to the end of the last complete line', async () => {
    const path = join(dir, 'j.ndjson');
    const good = `${line(1)}\n${line(2)}\n`;
    await writeFile(path, `${good}${line(3).slice(0, 40)}`);
    const { events, result } = await scan(path);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(result).toMatchObject({ events: 2, corrupt: 0, tailBytes: 40, truncateError: '' });
    expect(await readFile(path, 'utf8')).toBe(good);
  });

  it('also cuts complete but unreadable lines at the end, and zero bytes left by a crash', async () => {
    const path = join(dir, 'j.ndjson');
    const good = `${line(1)}\n`;
    await writeFile(path, Buffer.concat([Buffer.from(`${good}garbage\n`), Buffer.alloc(100)]));
    const { events, result } = await scan(path);
    expect(events).toHaveLength(1);
    expect(result).toMatchObject({ corrupt: 0, tailBytes: 108 });
    expect(await readFile(path, 'utf8')).toBe(good);
  });

  it('skips and counts corrupt lines in the middle without cutting anything', async () => {
    const path = join(dir, 'j.ndjson');
    const content = `${line(1)}\n{"seq":2,"ts":\n\n${line(2).replace('"seq":2', '"seq":1')}\n${line(3)}\n`;
    await writeFile(path, content);
    const { events, result } = await scan(path);
    // The line repeating seq 1 counts as corrupt: seq must increase.
    expect(events.map((e) => e.seq)).toEqual([1, 3]);
    expect(result).toMatchObject({ events: 2, corrupt: 2, tailBytes: 0 });
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('reads lines that straddle its read buffer', async () => {
    const path = join(dir, 'j.ndjson');
    const n = 6000; // ~2.5 MiB: several 1 MiB reads
    const lines: string[] = [];
    for (let i = 1; i <= n; i++) lines.push(line(i, { answers: 'x'.repeat(300) }));
    await writeFile(path, `${lines.join('\n')}\n`);
    const { events } = await scan(path);
    expect(events).toHaveLength(n);
    expect(events[n - 1]!.seq).toBe(n);
    expect(await lastJournalSeq(path)).toBe(n);
  });

  it('leaves the tail alone when asked not to truncate', async () => {
    const path = join(dir, 'j.ndjson');
    await writeFile(path, `${line(1)}\n{"torn`);
    await scan(path, false);
    expect((await readFile(path, 'utf8')).endsWith('{"torn')).toBe(true);
  });
});

describe('lastJournalSeq', () => {
  it('finds the last good seq past a torn tail, 0 when missing', async () => {
    const path = join(dir, 'j.ndjson');
    await writeFile(path, `${line(4)}\n${line(5)}\n{"seq":6,"t`);
    expect(await lastJournalSeq(path)).toBe(5);
    expect(await lastJournalSeq(join(dir, 'missing'))).toBe(0);
  });
});

describe('JournalWriter', () => {
  it('writes queued lines on flush, creating folder 0700 and file 0600', async () => {
    const warnings: string[] = [];
    const path = join(dir, 'a', 'b', 'journal.ndjson');
    const w = new JournalWriter({ path, maxUnwrittenBytes: 1 << 20, onWarning: (m) => warnings.push(m) });
    expect(w.append(line(1))).toBe(true);
    expect(w.append(line(2))).toBe(true);
    expect(existsSync(path)).toBe(false); // append never touches the disk
    expect(w.unwrittenBytes).toBe(Buffer.byteLength(`${line(1)}\n${line(2)}\n`));
    await w.flush();
    expect(await readFile(path, 'utf8')).toBe(`${line(1)}\n${line(2)}\n`);
    expect(w.unwrittenBytes).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
    w.append(line(3, { qname: 'ünïcode.例え' }));
    await w.close();
    expect(w.append(line(4))).toBe(false);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => parseJournalLine(l)?.seq)).toEqual([1, 2, 3]);
    expect(parseJournalLine(lines[2]!)?.qname).toBe('ünïcode.例え');
    expect(warnings).toEqual([]);
  });

  it('keeps lines through ENOSPC, warns once, and writes them all when space is back', async (ctx) => {
    if (!existsSync('/dev/full')) {
      console.log('skipped: /dev/full is not available to simulate a full disk');
      ctx.skip();
    }
    const path = join(dir, 'journal.ndjson');
    await symlink('/dev/full', path);
    const warnings: string[] = [];
    const w = new JournalWriter({ path, maxUnwrittenBytes: 1 << 20, onWarning: (m) => warnings.push(m) });
    w.append(line(1));
    await w.flush();
    expect(w.isFailing).toBe(true);
    w.append(line(2));
    await w.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the disk is full (ENOSPC)');
    expect(warnings[0]).toContain(path);
    await rm(path);
    w.append(line(3));
    await w.flush();
    expect(w.isFailing).toBe(false);
    const seqs = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => parseJournalLine(l)?.seq);
    expect(seqs).toEqual([1, 2, 3]);
    await w.close();
  });

  it('drops and counts lines beyond its memory cap while the disk fails, then says so', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const path = join(blocker, 'journal.ndjson');
    const warnings: string[] = [];
    const one = Buffer.byteLength(line(1)) + 1;
    const w = new JournalWriter({
      path,
      maxUnwrittenBytes: one * 3 + 10,
      onWarning: (m) => warnings.push(m),
    });
    for (let i = 1; i <= 5; i++) w.append(line(i));
    await w.flush();
    for (let i = 6; i <= 7; i++) w.append(line(i));
    await w.flush();
    expect(w.dropped).toBe(4);
    expect(warnings.some((m) => m.includes('ENOTDIR'))).toBe(true);
    expect(warnings.some((m) => m.includes('waiting to be written'))).toBe(true);
    expect(warnings).toHaveLength(2);
    await rm(blocker);
    await w.flush();
    expect(warnings[2]).toContain('writing again; 4 queries could not be saved');
    const seqs = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => parseJournalLine(l)?.seq);
    expect(seqs).toEqual([1, 2, 3]);
    await w.close();
  });

  it('encodes thousands of lines into one write per flush', async () => {
    const path = join(dir, 'journal.ndjson');
    const w = new JournalWriter({ path, maxUnwrittenBytes: 64 << 20, onWarning: () => undefined });
    const n = 5000;
    for (let i = 1; i <= n; i++) w.append(line(i, { answers: 'y'.repeat(i % 500) }));
    await w.flush();
    const content = await readFile(path, 'utf8');
    const lines = content.trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    lines.forEach((l, i) => expect(parseJournalLine(l)?.seq).toBe(i + 1));
    await appendFile(path, ''); // file still writable by us, not locked
    await w.close();
  });
});

describe('ensureDir', () => {
  it('creates missing parents 0700 and accepts an existing folder', async () => {
    const deep = join(dir, 'x', 'y', 'z');
    await ensureDir(deep);
    await ensureDir(deep);
    ensureDirSync(join(dir, 'x', 'w'));
    expect((await stat(deep)).isDirectory()).toBe(true);
    expect((await stat(join(dir, 'x'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'x', 'w'))).isDirectory()).toBe(true);
  });

  it('fails (instead of hanging like recursive mkdir) where no folder can be made', async () => {
    await writeFile(join(dir, 'file'), '');
    await expect(ensureDir(join(dir, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ensureDir(join(dir, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(() => ensureDirSync(join(dir, 'file', 'sub'))).toThrow(/ENOTDIR|not a folder/);
    if (existsSync('/proc/self')) {
      await expect(ensureDir('/proc/dnsw-no-such/sub')).rejects.toMatchObject({ code: 'ENOENT' });
      expect(() => ensureDirSync('/proc/dnsw-no-such')).toThrow(/ENOENT/);
    } else console.log('no /proc here: the /proc case is not exercised');
  });
});

describe('describeFsError', () => {
  it('names the common disk problems', () => {
    expect(describeFsError(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toEqual({
      kind: 'ENOSPC',
      text: 'the disk is full (ENOSPC)',
    });
    expect(describeFsError(new Error('plain')).text).toBe('plain');
  });
});
