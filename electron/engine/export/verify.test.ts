import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter } from '../capture/journal';
import { exchange, journalLine, tempDir } from '../capture/test-support';
import { exitCodeOf, verifyJournal } from './verify';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dnsw-verify-'));
});
afterEach(() => cleanup());

/** A journal of `n` records in blocks of 2, closed unless `open`. */
async function journal(n: number, open = false): Promise<string> {
  const path = join(dir, 'journal.ndjson');
  const w = new JournalWriter({
    path,
    maxUnwrittenBytes: 1 << 20,
    onWarning: () => undefined,
    chained: true,
  });
  for (let seq = 1; seq <= n; seq++) {
    w.append(
      journalLine(seq, '2026-11-23T01:45:01.000+01:00', 'cap-1', exchange({ ts: 1000 * seq }, seq)),
      seq,
    );
    if (seq % 2 === 0) await w.flush();
  }
  if (open) await w.flush();
  else await w.close();
  return path;
}

describe('verifyJournal', () => {
  it('says OK (0) only for a sealed, closed journal', async () => {
    const r = await verifyJournal(await journal(4));
    expect(r).toEqual({
      ok: true,
      exitCode: 0,
      lines: [
        'OK journal.ndjson: intact and closed: 4 records in 2 sealed blocks, none changed after capture, none missing',
      ],
    });
  });

  it('refuses (3) a missing file, a folder, an empty file and a file that is no journal', async () => {
    expect((await verifyJournal(join(dir, 'nope.ndjson'))).lines).toEqual([
      'UNREADABLE nope.ndjson: no such file',
    ]);
    expect((await verifyJournal(dir)).exitCode).toBe(3);
    await writeFile(join(dir, 'empty'), '');
    expect((await verifyJournal(join(dir, 'empty'))).lines).toEqual([
      'UNREADABLE empty: holds no journal records or seals',
    ]);
    await writeFile(
      join(dir, 'passwd'),
      'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n',
    );
    const r = await verifyJournal(join(dir, 'passwd'));
    expect(r.exitCode).toBe(3);
    expect(r.lines).toEqual([
      'UNREADABLE passwd: not a DNS Witness journal (none of its 2 lines is a record or a seal)',
    ]);
  });

  it('cannot vouch (2) for an open journal, a cut one or one without seals', async () => {
    const path = await journal(4, true);
    await writeFile(join(dir, 'capture.json'), '{"id":"cap-1","startedAt":1,"stoppedAt":0}\n');
    const running = await verifyJournal(path);
    expect(running.exitCode).toBe(2);
    expect(running.lines).toEqual([
      'UNVERIFIED journal.ndjson: open: the capture is still running, as its capture.json says (or the app was killed); 4 records in 2 sealed blocks unchanged so far; records after record 4 cannot be vouched for until it stops',
    ]);
    await writeFile(join(dir, 'capture.json'), '{"id":"cap-1","startedAt":1,"stoppedAt":5}\n');
    expect((await verifyJournal(path)).lines[0]).toMatch(
      /^UNVERIFIED journal\.ndjson: no closing seal: the journal ends after record 4/,
    );

    await rm(path);
    const text = await readFile(await journal(6), 'utf8');
    await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
    const cut = await verifyJournal(path);
    expect(cut.exitCode).toBe(2);
    expect(cut.lines.some((l) => /after the last seal are not sealed/.test(l))).toBe(true);

    // Cut inside the closing seal: the sealed records are intact, the cut-off last line is named on its own.
    const kept = text.slice(0, text.length - 20);
    await writeFile(path, kept);
    const tornBytes = kept.length - kept.lastIndexOf('\n') - 1;
    expect(tornBytes).toBeGreaterThan(100);
    const torn = await verifyJournal(path);
    expect(torn.exitCode).toBe(2);
    expect(torn.lines).toEqual([
      `UNVERIFIED journal.ndjson: the last line is cut off: ${tornBytes} bytes without an ending newline (the app was stopped while writing it, or the file was cut); what it held cannot be read or vouched for`,
      expect.stringMatching(/^UNVERIFIED journal\.ndjson: no closing seal: the journal ends after record 6/),
    ]);

    const unsealed = text.split('\n').filter((l) => !l.startsWith('{"chain"'));
    await writeFile(path, unsealed.join('\n').replace('"qname":"', '"qname":"x'));
    expect((await verifyJournal(path)).lines).toEqual([
      'UNVERIFIED journal.ndjson: 6 records and no seal: written before journals were sealed, or its seals were removed; nothing shows they are unchanged or complete',
    ]);
  });

  it('puts a mismatch before anything else in the exit code', () => {
    expect(exitCodeOf(['unverified', 'unreadable', 'mismatch'])).toBe(1);
    expect(exitCodeOf(['unverified', 'unreadable'])).toBe(3);
    expect(exitCodeOf(['unverified'])).toBe(2);
    expect(exitCodeOf([])).toBe(0);
  });
});
