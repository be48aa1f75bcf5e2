import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDir, FILE_MODE } from './capture/journal';

const LOCK_FILE = 'dns-witness.lock';

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One engine per data folder: the desktop app and `serve` share the default folder, and two writers
 * would each close the other's running capture. Takes the lock or throws an Error that says who holds it.
 * A lock left by a process that no longer exists (a crash) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await ensureDir(dataDir);
  const file = path.join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, mine + '\n', { flag: 'wx', mode: FILE_MODE });
      return async () => {
        const now = await readFile(file, 'utf8').catch(() => '');
        if (now.trim() === mine) await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as typeof holder;
    } catch {
      // Unreadable: a torn write by a process that died; take it over.
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : 0;
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (pid > 0 && pid !== process.pid && sameHost && alive(pid))
      throw new Error(
        `another DNS Witness (pid ${pid}) is using ${dataDir}; close it first, or give this one its own folder with --data-dir`,
      );
    await rm(file, { force: true });
  }
  throw new Error(`could not lock ${dataDir}`);
}
