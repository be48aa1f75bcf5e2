// Runs the app (Electron, the headless service or electron-vite) as a child that ends with this process.
import { spawn } from 'node:child_process';
import { root } from './build.mjs';

/** Runs `command`, forwards termination signals to it and leaves with its exit code or signal. */
export function run(command, args) {
  const env = { ...process.env };
  // Set by some tools; it would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  // Only electron-vite dev (which sets it itself) may point the window at a renderer dev server.
  delete env.ELECTRON_RENDERER_URL;
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal so whoever started `npm start` sees how the app ended.
      for (const s of signals) process.removeListener(s, forward);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
