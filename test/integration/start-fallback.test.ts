/**
 * `npm start` on a machine without the Electron runtime (like this one): one notice line, then the
 * headless dashboard with the same flags, stopped again by a forwarded SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { electronInstalled, runScript } from '../helpers/script';
import { waitFor } from '../helpers/tools';

const installed = electronInstalled();
if (installed)
  console.log('[start-fallback] skipped: the Electron runtime is installed, so npm start opens the app');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe.skipIf(installed)('npm start without the Electron runtime', () => {
  it('prints one notice line and serves the headless dashboard until SIGTERM', async () => {
    const run = await runScript('start.mjs');
    cleanups.push(() => run.cleanup());
    const { child, uiPort, exited } = run;
    const url = `http://127.0.0.1:${uiPort}/`;
    const body = await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`npm start exited early:\n${run.stdout()}\n${run.stderr()}`);
        const res = await fetch(url).catch(() => null);
        return res?.ok ? res.text() : undefined;
      },
      90_000,
      'the dashboard',
    );
    expect(body).toMatch(/<html/i);

    const notices = run
      .stdout()
      .split('\n')
      .filter((line) => line.includes('Electron runtime not installed'));
    expect(notices).toEqual([
      `Electron runtime not installed (offline install?); opening the headless dashboard instead: ${url}`,
    ]);

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    // The service either exits cleanly on the forwarded signal or dies of it; start.mjs reports either.
    expect(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}\n${run.stderr()}`).toBe(true);
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);
});
