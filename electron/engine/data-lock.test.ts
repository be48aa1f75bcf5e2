import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootId, lockDataDir, parseLock, processStart } from './data-lock';

const LINUX = process.platform === 'linux';
let dir = '';
const children: ChildProcess[] = [];

/** A live process that is not DNS Witness: `sleep`, as a pid reused after a power cut would be. */
function liveSleep(): number {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

/** A live Node process, as another DNS Witness would be. */
function liveNode(): number {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

async function writeLock(fields: Record<string, unknown>): Promise<void> {
  await writeFile(path.join(dir, 'dns-witness.lock'), JSON.stringify(fields) + '\n');
}

/** Waits until `pid` shows in /proc with its start time (a spawned child needs a moment). */
async function started(pid: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const s = processStart(pid);
    if (s !== '') return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not start`);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-lock-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('writes pid, host, start time and boot id, 0600, and removes its own lock', async () => {
    const unlock = await lockDataDir(dir);
    const file = path.join(dir, 'dns-witness.lock');
    const held = parseLock(await readFile(file, 'utf8'))!;
    expect(held.pid).toBe(process.pid);
    expect(held.host).toBe(os.hostname());
    if (LINUX) {
      expect(held.start).toMatch(/^\d+$/);
      expect(held.boot).toBe(bootId());
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await unlock();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it.runIf(LINUX)('refuses a folder a live DNS Witness holds, naming its pid', async () => {
    const pid = liveNode();
    await writeLock({ pid, host: os.hostname(), start: await started(pid), boot: bootId(), since: 'x' });
    const notes: string[] = [];
    await expect(lockDataDir(dir, (m) => notes.push(m))).rejects.toThrow(
      `another DNS Witness (pid ${pid}) is using ${dir}; close it first`,
    );
    expect(notes).toEqual([]);
  });

  it.runIf(LINUX)(
    'takes over a lock whose pid now belongs to another process (a different start time)',
    async () => {
      const pid = liveSleep();
      const start = await started(pid);
      await writeLock({
        pid,
        host: os.hostname(),
        start: String(Number(start) - 1),
        boot: bootId(),
        since: 'x',
      });
      const notes: string[] = [];
      const unlock = await lockDataDir(dir, (m) => notes.push(m));
      expect(notes).toEqual([
        `took over the lock on ${dir}: process ${pid} is another program that reuses its pid`,
      ]);
      expect(parseLock(await readFile(path.join(dir, 'dns-witness.lock'), 'utf8'))!.pid).toBe(process.pid);
      await unlock();
    },
  );

  it.runIf(LINUX)('takes over a lock written before the last boot', async () => {
    const pid = liveNode();
    await writeLock({
      pid,
      host: os.hostname(),
      start: await started(pid),
      boot: 'another-boot',
      since: 'x',
    });
    const notes: string[] = [];
    await (
      await lockDataDir(dir, (m) => notes.push(m))
    )();
    expect(notes).toEqual([`took over the lock on ${dir}: it was written before this computer last started`]);
  });

  it.runIf(LINUX)(
    'takes over an older lock (pid only) held by a live process that is not DNS Witness',
    async () => {
      const pid = liveSleep();
      await started(pid);
      await writeLock({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' });
      const notes: string[] = [];
      await (
        await lockDataDir(dir, (m) => notes.push(m))
      )();
      expect(notes).toEqual([`took over the lock on ${dir}: process ${pid} is not DNS Witness (sleep 60)`]);
    },
  );

  it.runIf(LINUX)(
    'keeps refusing an older lock held by a live Node process (it may be DNS Witness)',
    async () => {
      const pid = liveNode();
      await started(pid);
      await writeLock({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' });
      await expect(lockDataDir(dir)).rejects.toThrow(`another DNS Witness (pid ${pid})`);
    },
  );

  it('takes over a lock of a process that is gone, and a torn one', async () => {
    const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = c.pid!;
    await new Promise((r) => c.on('exit', r));
    await writeLock({ pid, host: os.hostname(), since: 'x' });
    const notes: string[] = [];
    await (
      await lockDataDir(dir, (m) => notes.push(m))
    )();
    expect(notes).toEqual([`took over the lock on ${dir}: process ${pid} no longer exists`]);

    await writeFile(path.join(dir, 'dns-witness.lock'), '{"pid": 12');
    await (
      await lockDataDir(dir)
    )();
  });
});
