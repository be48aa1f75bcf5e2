/**
 * `npm run serve`: the capture engine without a window. Exit codes: 0 after a clean stop, 1 when it cannot
 * run (no DNS listener could be bound, UI port busy, data folder unusable), 2 for a bad command line.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/engine';
import { installTestHooks } from './test-hooks';
import { receiveBufferNotes } from '../engine/dns/receive-buffer';
import { HELP, parseServeArgs, UsageError, type ParsedArgs } from './args';
import { isLoopbackAddress, loadOrCreateToken, startCommand, type StoredToken } from './auth';
import { APP_VERSION } from '../engine/version';
import { HeadlessServer } from './server';

async function main(argv: readonly string[]): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseServeArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`dns-witness serve: ${err.message} (see --help)`);
      return 2;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    console.log(APP_VERSION);
    return 0;
  }
  const { engine: opts, ui, requireToken, maxUploadBytes } = parsed.options;
  let engine: Engine;
  try {
    // The built service runs the forwarder on its own thread (out/main/dns-worker.js beside this file).
    engine = await Engine.open({ ...opts, dnsThread: true });
  } catch (err) {
    // Lock errors name the folder; fs errors name the path they failed on.
    console.error(`dns-witness serve: cannot use the data folder: ${(err as Error).message}`);
    return 1;
  }
  // Problems found while loading earlier captures (a torn journal line after a crash, ...).
  for (const w of engine.status().warnings) console.error(`warning: ${w.message}`);
  const historyStart = performance.now();
  const listeners = await engine.listen();
  const bound = listeners.filter((l) => l.state === 'listening');
  for (const l of listeners) if (l.state === 'error') console.error(`warning: ${l.error}`);
  const inputs = engine.status().dnstapIn?.listeners ?? [];
  const observing = inputs.filter((l) => l.state === 'listening');
  for (const l of inputs)
    if (l.state === 'error') console.error(`warning: dnstap input ${l.target}: ${l.error}`);
  if (bound.length === 0 && (engine.options.listen.length > 0 || observing.length === 0)) {
    console.error('dns-witness serve: no DNS listener could be started (see above).');
    await engine.close();
    return 1;
  }
  engine.onWarning((w) => {
    if (w.code !== 'port-unavailable') console.error(`warning: ${w.message}`);
  });
  // Another computer on the network (or another user of this one) must not read the household's DNS log.
  let access: StoredToken | null = null;
  if (requireToken || !isLoopbackAddress(ui.host)) {
    try {
      access = await loadOrCreateToken(opts.dataDir);
    } catch (err) {
      console.error(`dns-witness serve: cannot set up the access token: ${(err as Error).message}`);
      await engine.close();
      return 1;
    }
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const server = new HeadlessServer(engine, {
    host: ui.host,
    port: ui.port,
    rendererDir: path.resolve(here, '../renderer'),
    token: access?.token ?? null,
    maxUploadBytes,
    command: startCommand(process.env, process.argv[1], process.cwd()),
  });
  try {
    await server.listen();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EADDRINUSE'
        ? 'the port is in use (another DNS Witness running?); choose another with --ui'
        : (e.code ?? e.message);
    console.error(`dns-witness serve: cannot serve the dashboard on ${ui.host}:${ui.port}: ${why}`);
    await engine.close();
    return 1;
  }
  const dns = [
    ...new Set(
      bound.map((l) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)),
    ),
  ];
  if (dns.length > 0) console.log(`DNS Witness is answering DNS on ${dns.join(', ')} (UDP and TCP)`);
  for (const rb of receiveBufferNotes(bound))
    if (rb.limited) console.error(`warning: ${rb.note}`);
    else console.log(rb.note);
  if (observing.length > 0)
    console.log(
      `DNS Witness is observing resolvers through dnstap on ${observing.map((l) => l.target).join(', ')}`,
    );
  const upstreams = opts.upstreams.map((u) =>
    u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`,
  );
  console.log(`${dns.length > 0 ? `upstreams: ${upstreams.join(', ')}; ` : ''}data: ${opts.dataDir}`);
  printDashboard(server.urls, access);
  installTestHooks(engine, process.env);
  // DNS and the dashboard are up; the earlier captures are read behind them (engine.listen started it).
  void engine.whenHistoryLoaded().then(() => {
    const h = engine.status().history;
    if (h === undefined || h.state !== 'loaded') return;
    const seconds = ((performance.now() - historyStart) / 1000).toFixed(1);
    console.log(
      h.capturesTotal === 0
        ? 'history: no earlier captures'
        : `history: ${h.queries.toLocaleString('en-US')} queries of ${h.capturesTotal} earlier capture${h.capturesTotal === 1 ? '' : 's'} read in ${seconds} s`,
    );
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping; the capture is saved.`);
      // The router may still send its DNS here: say what to set back before the network loses DNS.
      const restore = engine.restoreGuidance();
      if (restore !== '') console.log(restore);
      void Promise.all([server.close(), engine.close()]).then(
        () => resolve(0),
        (err: Error) => {
          console.error(`dns-witness serve: error while stopping: ${err.message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * Prints where the dashboard is. The token is part of the address only the time it is created (a fragment,
 * so browsers never send it to a server or in a Referer); later starts say where it is kept.
 */
function printDashboard(urls: readonly string[], access: StoredToken | null): void {
  const [first, ...others] = urls;
  if (access === null) {
    console.log(`dashboard: ${first}`);
  } else if (access.created) {
    console.log(`dashboard: ${first}#token=${access.token}`);
    console.log(
      `  (access token created and saved in ${access.file}; this address, with its #token part, is shown only now)`,
    );
  } else {
    console.log(
      `dashboard: ${first} (access token required: open ${first}#token=<the token in ${access.file}>)`,
    );
  }
  if (others.length > 0) console.log(`  also at: ${others.join(', ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`dns-witness serve: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
