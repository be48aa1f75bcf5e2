import { existsSync, readFileSync } from 'node:fs';
import type { Engine } from '../engine/engine';

/** How long the main thread stays busy at most when a test forgets to release it. */
const BUSY_LIMIT_MS = 30_000;

/**
 * Hooks for the integration tests, only when DNS_WITNESS_TEST_HOOKS names a file: on SIGUSR2 the service
 * does what the file says. "busy" spins the main thread (no event loop turn) until `<file>.release` exists,
 * saying so on stdout before and after; "throw" and "exit" make the DNS thread die that way.
 */
export function installTestHooks(engine: Engine, env: NodeJS.ProcessEnv): void {
  const file = env['DNS_WITNESS_TEST_HOOKS'];
  if (file === undefined || file === '') return;
  process.on('SIGUSR2', () => {
    const action = readFileSync(file, 'utf8').trim();
    if (action === 'throw' || action === 'exit') {
      void engine.crashDnsThread(action);
      return;
    }
    if (action !== 'busy') return;
    // Pipes are written synchronously on Linux: the test reads this before the loop below ends.
    process.stdout.write('test hook: main thread busy\n');
    const end = Date.now() + BUSY_LIMIT_MS;
    while (!existsSync(`${file}.release`) && Date.now() < end) {
      // Spinning on purpose: nothing else runs on this thread meanwhile.
    }
    process.stdout.write('test hook: main thread free\n');
  });
}
