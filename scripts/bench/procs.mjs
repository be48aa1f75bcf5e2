// Child processes and temp folders of one bench run. Everything started here is registered so that a
// normal end, an error and Ctrl-C all leave no process and no folder behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TAIL_BYTES = 16 * 1024;
/** Output kept from a run-to-completion command; dnsperf -v at 1,000 qps × 10 s is ~0.5 MB. */
const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

const live = new Set();
const dirs = new Set();
/** Undo steps (an unmount) that must run after the children stop and before the folders go. */
const undoSteps = [];

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates a private temp folder that cleanup() removes. */
export function makeTempDir(parent = os.tmpdir()) {
  const dir = mkdtempSync(path.join(parent, 'dns-witness-bench-'));
  dirs.add(dir);
  return dir;
}

function keepTail(buf, chunk) {
  const next = buf + chunk;
  return next.length > TAIL_BYTES ? next.slice(next.length - TAIL_BYTES) : next;
}

/**
 * Starts a long-running child (a DNS server) and tracks it until it exits. Returns
 * { name, pid, child, exited, tail(), waitForLine(re, ms) }; never throws for a failed start:
 * `exited` resolves and waitForLine rejects with the child's last output instead.
 */
export function startProcess(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let pending = '';
  const waiters = new Set();
  const proc = { name, child, pid: child.pid, exitInfo: null };
  const onLine = (line) => {
    for (const w of waiters) {
      const m = w.re.exec(line);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  };
  const onData = (chunk) => {
    const text = String(chunk);
    out = keepTail(out, text);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  proc.exited = new Promise((resolve) => {
    const done = (code, signal, error) => {
      if (proc.exitInfo) return;
      proc.exitInfo = { code, signal, error };
      live.delete(proc);
      for (const w of waiters)
        w.reject(new Error(`${name} exited (${describeExit(proc.exitInfo)}) before it was ready:\n${out}`));
      waiters.clear();
      resolve(proc.exitInfo);
    };
    child.on('error', (err) => done(null, null, err));
    child.on('exit', (code, signal) => done(code, signal, null));
  });
  proc.tail = () => out;
  proc.waitForLine = (re, ms) =>
    new Promise((resolve, reject) => {
      if (proc.exitInfo) return reject(new Error(`${name} is not running:\n${out}`));
      const w = { re, resolve, reject };
      waiters.add(w);
      setTimeout(() => {
        if (!waiters.delete(w)) return;
        reject(new Error(`${name} did not print ${re} within ${ms} ms:\n${out}`));
      }, ms).unref();
    });
  live.add(proc);
  return proc;
}

function describeExit(info) {
  if (info.error) return info.error.message;
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

/**
 * Runs a command to completion with a hard time limit (then SIGKILL) and returns
 * { code, signal, stdout, stderr }. Rejects only when the command cannot be started or overruns.
 */
export function runCommand(name, cmd, args, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = { name, child, pid: child.pid, exitInfo: null };
    live.add(proc);
    const stdout = [];
    const stderr = [];
    let size = 0;
    const collect = (into) => (chunk) => {
      size += chunk.length;
      if (size <= MAX_CAPTURE_BYTES) into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    let overran = false;
    const timer = setTimeout(() => {
      overran = true;
      child.kill('SIGKILL');
    }, limitMs);
    const finish = (code, signal, error) => {
      if (proc.exitInfo) return;
      proc.exitInfo = { code, signal, error };
      clearTimeout(timer);
      live.delete(proc);
      if (error) return reject(new Error(`${name}: cannot run ${cmd}: ${error.message}`));
      if (overran) return reject(new Error(`${name}: still running after ${limitMs} ms, killed`));
      if (size > MAX_CAPTURE_BYTES) return reject(new Error(`${name}: more than 256 MB of output`));
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopProcess(proc, graceMs = 5000) {
  if (proc.exitInfo) return proc.exitInfo;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  // runCommand children have no `exited` promise; they settle through their own close handler.
  const info = await (proc.exited ?? new Promise((r) => proc.child.once('close', r)));
  clearTimeout(timer);
  return info;
}

/**
 * Registers a synchronous step (such as unmounting a tmpfs inside a temp folder) that cleanup() and the
 * exit handler run once, after the children have stopped and before the temp folders are removed.
 */
export function onCleanup(step) {
  undoSteps.push(step);
}

function runUndoSteps() {
  for (const step of undoSteps.splice(0).reverse()) {
    try {
      step();
    } catch (err) {
      console.error(`cleanup: ${err.message}`);
    }
  }
}

let cleaning = null;

/** Stops every tracked child (in parallel) and removes every temp folder; safe to call twice. */
export function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...live].map((p) => stopProcess(p)));
    runUndoSteps();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs.clear();
  })();
  return cleaning;
}

/** Makes Ctrl-C, SIGTERM and a crash clean up before the process ends. */
export function installCleanupHandlers() {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping the servers and removing temp files…`);
      cleanup().finally(() => process.exit(code));
    });
  }
  // Last resort when something calls process.exit() without awaiting cleanup(): no orphans, no folders.
  process.on('exit', () => {
    for (const p of live) p.child.kill('SIGKILL');
    runUndoSteps();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}
