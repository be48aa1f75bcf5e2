import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './tools';

export const root = resolve(import.meta.dirname, '../..');

/** Whether the Electron runtime is installed, so `npm start` and `npm run dev` would open the app. */
export function electronInstalled(): boolean {
  const pkg = join(root, 'node_modules', 'electron');
  try {
    return readFileSync(join(pkg, 'path.txt'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

export interface ScriptRun {
  readonly child: ChildProcess;
  readonly uiPort: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills what is still running and removes the data folder. */
  cleanup(): void;
}

/**
 * Runs `scripts/NAME` (start.mjs, dev.mjs) with the headless flags on loopback: any DNS port, the
 * discard port as upstream (nothing needs answering), a free dashboard port and a temp data folder.
 */
export async function runScript(name: string): Promise<ScriptRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dns-witness-script-'));
  const uiPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(root, 'scripts', name),
      '--listen',
      '127.0.0.1:0',
      '--upstream',
      '127.0.0.1:9',
      '--ui',
      `127.0.0.1:${uiPort}`,
      '--data-dir',
      dataDir,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    uiPort,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    cleanup: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
