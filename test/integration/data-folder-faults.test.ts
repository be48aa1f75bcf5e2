/**
 * A start on a data folder that cannot be written never withholds DNS: a folder that cannot be created (a
 * file in the way), a read-only one and one on a full disk. Each time `serve` answers DNS from the start,
 * says once in its log and on /api/health that recording is paused and why, keeps what it answers in
 * memory, and records it by itself once the folder can be written; the journal then holds every query
 * answered meanwhile and `npm run verify` vouches for it. The read-only and full disks are a small tmpfs
 * this test mounts (root only) and removes. A pause longer than memory holds leaves a gap, which the journal
 * records as a sealed loss line and verify names.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../../electron/engine/capture';
import { exchange, journalText } from '../../electron/engine/capture/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PAUSED = 'cannot write to the data folder';
const RESUMED = 'can be written again; recording';

interface Health {
  ok: boolean;
  problems: { code: string; message: string }[];
}

async function health(s: Served): Promise<Health> {
  return (await (await fetch(`${s.base}/api/health`)).json()) as Health;
}

function verify(file: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/verify.mjs'), file], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Queries `names` through the service; each must be answered (the upstream answers every *.wild.example.test). */
async function ask(s: Served, names: readonly string[]): Promise<void> {
  for (const name of names) expect((await dig(s.dnsPort, name)).stdout, name).toContain('status: NOERROR');
}

/**
 * The part every case shares: DNS answers while the folder cannot be written, /api/health says recording
 * is paused with `reason`, the log says so once; after `repair` recording resumes by itself, and the
 * journal holds every query answered, which verify vouches for once the service has stopped.
 */
async function pausedThenResumed(
  upstream: Dnsmasq,
  dataDir: string,
  reason: string,
  repair: () => Promise<void>,
): Promise<void> {
  const s = await startServe(upstream.port, { dataDir });
  try {
    const before = ['p1.wild.example.test', 'p2.wild.example.test', 'p3.wild.example.test'];
    await ask(s, before);
    const paused = await health(s);
    expect(paused.ok).toBe(true);
    expect(paused.problems).toContainEqual({
      code: 'storage-error',
      message: `Queries are answered but cannot be saved: ${reason}. They wait in memory and are written when it works again.`,
    });
    expect(s.output()).toContain(`${PAUSED} ${dataDir} (${reason}): answering DNS anyway`);

    await repair();
    await waitFor(
      async () => ((await health(s)).problems.length === 0 ? true : undefined),
      10_000,
      `recording to resume in ${dataDir}`,
    );
    const after = ['r1.wild.example.test', 'r2.wild.example.test'];
    await ask(s, after);
    await waitFor(
      async () =>
        ((await (await fetch(`${s.base}/api/queries?limit=1`)).json()) as { total: number }).total === 5 ||
        undefined,
      5_000,
      'the five queries in the capture',
    );
    // Said once each, however often the lock was tried in between (once a second).
    expect(occurrences(s.output(), PAUSED), s.output()).toBe(1);
    expect(occurrences(s.output(), RESUMED), s.output()).toBe(1);
    expect(await s.stop()).toBe(0);

    // Nothing answered while recording was paused is missing: every query in order, no loss line.
    const [capture, ...others] = await readdir(path.join(dataDir, 'captures'));
    expect(others).toEqual([]);
    const journal = path.join(dataDir, 'captures', capture!, 'journal.ndjson');
    const lines = (await journalText(journal))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq?: number; qname?: string; lost?: number });
    expect(lines.filter((l) => l.lost !== undefined)).toEqual([]);
    const records = lines.filter((l) => l.qname !== undefined);
    expect(records.map((l) => l.qname)).toEqual([...before, ...after]);
    expect(records.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    const v = verify(journal);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/^OK journal\.ndjson/);
  } finally {
    await s.stop();
  }
}

describe('a start on a data folder that cannot be written', () => {
  let upstream: Dnsmasq;
  let tmp = '';
  beforeAll(async () => {
    upstream = await startDnsmasq();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dnsw-faults-'));
  });
  afterAll(async () => {
    await upstream?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('answers DNS when the folder cannot be created (a file in its way), and records once it can', async () => {
    const blocker = path.join(tmp, 'blocker');
    await writeFile(blocker, 'a file where the data folder should be\n');
    await pausedThenResumed(
      upstream,
      path.join(blocker, 'data'),
      'a file is in the way where a folder is needed (ENOTDIR)',
      () => rm(blocker),
    );
  });

  describe('on a small tmpfs', () => {
    const isRoot = process.getuid?.() === 0;
    let mountPoint = '';
    let skip = '';
    const sh = (cmd: string, ...args: string[]): void => {
      const r = spawnSync(cmd, args);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString().trim()}`);
    };
    beforeAll(async () => {
      if (!isRoot) skip = 'mounting a tmpfs needs root';
      else {
        mountPoint = await mkdtemp(path.join(os.tmpdir(), 'dnsw-faults-tmpfs-'));
        const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint]);
        if (m.status !== 0) skip = `mount -t tmpfs failed: ${m.stderr.toString().trim()}`;
      }
      if (skip !== '')
        console.log(`data-folder-faults.test.ts: the read-only and full cases are skipped: ${skip}`);
    });
    afterAll(async () => {
      if (mountPoint === '') return;
      spawnSync('umount', ['-l', mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    });

    it('answers DNS on a read-only data folder, and records once it is writable again', async (ctx) => {
      if (skip !== '') return ctx.skip();
      const dataDir = path.join(mountPoint, 'data-read-only');
      await mkdir(dataDir);
      sh('mount', '-o', 'remount,ro', mountPoint);
      try {
        await pausedThenResumed(upstream, dataDir, 'the file system is read-only (EROFS)', async () =>
          sh('mount', '-o', 'remount,rw', mountPoint),
        );
      } finally {
        spawnSync('mount', ['-o', 'remount,rw', mountPoint]);
      }
    });

    it('answers DNS on a full disk, and records once space returns', async (ctx) => {
      if (skip !== '') return ctx.skip();
      const dataDir = path.join(mountPoint, 'data-full');
      await mkdir(dataDir);
      const filler = path.join(mountPoint, 'filler');
      const fh = await open(filler, 'w');
      const block = Buffer.alloc(64 * 1024, 1);
      let code = '';
      try {
        for (let i = 0; i < 64; i++) await fh.write(block);
      } catch (err) {
        code = (err as NodeJS.ErrnoException).code ?? '';
      }
      expect(code, 'filling a 2 MiB tmpfs with 4 MiB').toBe('ENOSPC');
      // The last partial blocks too, so not even the lock file fits.
      for (let i = 0; i < 128; i++)
        try {
          await fh.write(block.subarray(0, 512));
        } catch {
          break;
        }
      await fh.close();
      try {
        await pausedThenResumed(upstream, dataDir, 'the disk is full (ENOSPC)', () => rm(filler));
      } finally {
        await rm(filler, { force: true });
      }
    });
  });

  it('records the queries a pause longer than memory could not keep as a gap in the journal', async () => {
    const blocker = path.join(tmp, 'blocker-gap');
    await writeFile(blocker, 'a file where the data folder should be\n');
    const dataDir = path.join(blocker, 'data');
    const warnings: string[] = [];
    // Memory for about eight waiting journal lines stands in for the 64 MiB a long outage exhausts.
    const store = await CaptureStore.open({
      dataDir,
      retentionDays: 0,
      maxUnwrittenBytes: 4096,
      onWarning: (m) => warnings.push(m),
    });
    const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
    const ANSWERED = 100;
    try {
      const { id } = store.start();
      for (let i = 1; i <= ANSWERED; i++) store.record(exchange({ ts: T0 + i * 1000 }, i));
      await store.flush();
      const lost = store.storage().lostRecords;
      expect(lost).toBeGreaterThan(0);
      expect(lost).toBeLessThan(ANSWERED);
      await rm(blocker);
      // Writing works again: what memory kept is written, and a query after it is recorded as usual.
      await store.flush();
      store.record(exchange({ ts: T0 + (ANSWERED + 1) * 1000 }, ANSWERED + 1));
      await store.stop();
      await store.flush();

      const journal = path.join(dataDir, 'captures', id, 'journal.ndjson');
      const lines = (await journalText(journal))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { seq?: number; lost?: number; fromSeq?: number; toSeq?: number });
      const kept = ANSWERED - lost;
      expect(lines.filter((l) => l.seq !== undefined).map((l) => l.seq)).toEqual([
        ...Array.from({ length: kept }, (_, i) => i + 1),
        ANSWERED + 1,
      ]);
      expect(lines.filter((l) => l.lost !== undefined)).toEqual([
        expect.objectContaining({ lost, fromSeq: kept + 1, toSeq: ANSWERED }),
      ]);
      const v = verify(journal);
      expect(v.code, v.out).toBe(2);
      expect(v.out.trimEnd()).toBe(
        `UNVERIFIED journal.ndjson: ${lost} queries not saved between ${new Date(T0 + (kept + 1) * 1000).toISOString()} and ${new Date(T0 + ANSWERED * 1000).toISOString()} (records ${kept + 1}–${ANSWERED}): the disk refused them while recording, as the journal's sealed loss line says`,
      );
    } finally {
      await store.close();
    }
  });
});
