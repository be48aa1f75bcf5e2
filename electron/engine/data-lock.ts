import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDir, FILE_MODE } from './capture/journal';

const LOCK_FILE = 'dns-witness.lock';

/** Errors of a folder that cannot be written now (full, read-only, missing, refused): not a reason to withhold DNS. */
const STORAGE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOENT', 'ENOTDIR']);

/** Whether `err` says the folder cannot be written, rather than that another DNS Witness holds it. */
export function isStorageError(err: unknown): boolean {
  return STORAGE_ERRORS.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** What the lock file says of its holder. Locks written before `start` and `boot` existed have only pid and host. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holder process started, as the OS tells it (see processStart); "" when unknown. */
  readonly start: string;
  /** This boot of the machine (Linux boot_id); "" when unknown. */
  readonly boot: string;
  readonly since: string;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This machine's boot id (Linux), so a lock written before a reboot or power cut is known as stale. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * When process `pid` started, in a form that differs between two processes that had the same pid: the
 * start time in clock ticks after boot on Linux (/proc/PID/stat field 22, proc(5)), `ps -o lstart` on
 * macOS and the BSDs. "" when the OS does not say (Windows, or the process is gone). Never throws.
 */
export function processStart(pid: number): string {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return fields[19] ?? '';
    }
    if (process.platform === 'win32') return '';
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      timeout: 2000,
    }).trim();
  } catch {
    return '';
  }
}

/** The command line of `pid` where the OS shows it without a subprocess (Linux); null when unknown. */
function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

/** Reads a lock file's text; null fields where it is torn or not ours. */
export function parseLock(text: string): LockHolder | null {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.pid !== 'number') return null;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    pid: raw.pid,
    host: str(raw.host),
    start: str(raw.start),
    boot: str(raw.boot),
    since: str(raw.since),
  };
}

/**
 * Why the lock's holder is not a live DNS Witness using this folder, or "" when it is (or may be).
 * A pid alone proves little after a power cut: the pid may now belong to any other process.
 */
export function staleReason(holder: LockHolder): string {
  if (holder.pid <= 0 || holder.pid === process.pid) return 'it names this process';
  // The pid means nothing on another host (or after the hostname changed).
  if (holder.host !== '' && holder.host !== os.hostname()) return `it was written on ${holder.host}`;
  if (!alive(holder.pid)) return `process ${holder.pid} no longer exists`;
  const boot = bootId();
  if (holder.boot !== '' && boot !== '' && holder.boot !== boot)
    return `it was written before this computer last started`;
  if (holder.start !== '') {
    const start = processStart(holder.pid);
    if (start !== '' && start !== holder.start)
      return `process ${holder.pid} is another program that reuses its pid`;
    return '';
  }
  // An older lock without a start time: look at what the process runs.
  const cmd = commandLine(holder.pid);
  if (cmd !== null && !/node|electron|dns[-_ ]?witness/i.test(cmd))
    return `process ${holder.pid} is not DNS Witness (${cmd.trim().slice(0, 60) || 'no command line'})`;
  return '';
}

/**
 * One engine per data folder: the desktop app and `serve` share the default folder, and two writers
 * would each close the other's running capture. Takes the lock or throws an Error that says who holds it.
 * A lock whose holder is not a live DNS Witness (a crash, a reboot, a pid now used by another program) is
 * taken over, and `onTakeover` says why.
 */
export async function lockDataDir(
  dataDir: string,
  onTakeover: (message: string) => void = () => {},
): Promise<() => Promise<void>> {
  await ensureDir(dataDir);
  const file = path.join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    start: processStart(process.pid),
    boot: bootId(),
    since: new Date().toISOString(),
  });
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
    const holder = parseLock(await readFile(file, 'utf8').catch(() => ''));
    // Unreadable: a torn write by a process that died; take it over.
    const why = holder === null ? 'it could not be read' : staleReason(holder);
    if (why === '' && holder !== null)
      throw new Error(
        `another DNS Witness (pid ${holder.pid}) is using ${dataDir}; close it first, or give this one its own folder with --data-dir`,
      );
    if (holder !== null && holder.pid !== process.pid) onTakeover(`took over the lock on ${dataDir}: ${why}`);
    await rm(file, { force: true });
  }
  throw new Error(`could not lock ${dataDir}`);
}
