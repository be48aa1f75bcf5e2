/**
 * `npm run import -- FILE…`: reads another program's DNS history into a new stopped capture (docs/IMPORT.md).
 * Exit codes: 0 imported; 1 the file is damaged, of an unknown format, or cannot be read or written (one
 * line naming the format and where); 2 a bad command line; 130 cancelled (Ctrl-C). On 1 and 130 nothing is
 * left in the data folder.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { ImportFormat } from '@shared/events';
import { leasesPhrase, partialSentence } from '@shared/import';
import { defaultDataDir, defaultEngineOptions } from '../options';
import { applySettings } from '../settings/resolve';
import { SettingsStore } from '../settings/settings-store';
import { FORMAT_IDS, FORMATS } from './formats';
import { readLeases, saveLeaseNames } from './leases';
import { runImport, type ImportProgress } from './run';
import { failureMessage, ImportCancelled } from './types';

const USAGE = `Usage: npm run import -- FILE [FILE…] [options]
       npm run import -- --leases LEASEFILE [--leases LEASEFILE…] [--data-dir DIR]

Reads DNS history that another program kept into a new, stopped capture of DNS Witness, with where it came
from (file, size, SHA-256) and what that kind of file cannot tell. Several files (a log and its rotated
parts) go into one capture, oldest first.

  --format F       ${['auto', ...FORMAT_IDS].join('|')} (default auto: recognised from the file)
  --router ADDR    This address is the router (saved like the dashboard's choice). Repeatable.
  --name TEXT      A name for the capture.
  --year YYYY      The year of syslog lines, which have none (default: the file's modification time).
  --port N         Another port that carries DNS in a packet capture (53 always does). Repeatable.
  --leases FILE    DHCP leases (dnsmasq.leases, dhcpd.leases, odhcpd's state or hosts file) that name the
                   devices and give their MACs; names MACs the data folder has no name for. Repeatable;
                   without FILE only the names are saved.
  --data-dir DIR   The data folder (default: the app's, e.g. ~/.config/DNS Witness/data).
  --keep-partial   A file damaged part way: keep the queries before the damage as a capture marked
                   partial (default: nothing is kept).
  --json           End with one JSON line: {"capture_id", "queries", "skipped", "first", "last"}.
  -h, --help       Show this help.

Formats: ${FORMATS.map((f) => `${f.id} (${f.label}${f.read === null ? ', not yet' : ''})`).join(', ')}.
Exit 0 imported; 1 damaged, unknown or unreadable file (nothing is kept); 2 bad command line; 130 cancelled.
`;

class UsageError extends Error {}

interface CliOptions {
  readonly files: string[];
  readonly format: ImportFormat | 'auto';
  readonly routers: string[];
  readonly name: string;
  readonly year: number | undefined;
  readonly ports: number[];
  readonly leases: string[];
  readonly dataDir: string | undefined;
  readonly json: boolean;
  readonly keepPartial: boolean;
}

function parse(argv: readonly string[]): CliOptions | 'help' {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        router: { type: 'string', multiple: true },
        name: { type: 'string' },
        year: { type: 'string' },
        port: { type: 'string', multiple: true },
        leases: { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        json: { type: 'boolean' },
        'keep-partial': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (positionals.length === 0 && values.leases === undefined)
    throw new UsageError('name the file to import');
  const format = values.format ?? 'auto';
  if (format !== 'auto' && !(FORMAT_IDS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of auto, ${FORMAT_IDS.join(', ')}; got "${format}"`);
  const routers = values.router ?? [];
  for (const r of routers)
    if (isIP(r) === 0) throw new UsageError(`--router needs an IP address, got "${r}"`);
  let year: number | undefined;
  if (values.year !== undefined) {
    if (!/^\d{4}$/.test(values.year))
      throw new UsageError(`--year needs a year like 2025, got "${values.year}"`);
    year = Number(values.year);
  }
  const ports = (values.port ?? []).map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
      throw new UsageError(`--port needs a port from 1 to 65535, got "${p}"`);
    return Number(p);
  });
  return {
    files: positionals,
    format: format as ImportFormat | 'auto',
    routers,
    name: values.name ?? '',
    year,
    ports,
    leases: values.leases ?? [],
    dataDir: values['data-dir'],
    json: values.json === true,
    keepPartial: values['keep-partial'] === true,
  };
}

/** The data folder in effect: --data-dir, else the default one, moved where its saved settings say. */
async function dataFolder(given: string | undefined): Promise<string> {
  const start = given ?? defaultDataDir();
  const settings = await SettingsStore.load(start, () => undefined);
  return applySettings(defaultEngineOptions({ dataDir: start }), settings.settings.values, start).dataDir;
}

function iso(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '';
}

function progressLine(p: ImportProgress): string {
  const pct = p.totalBytes > 0 ? Math.min(100, (p.bytes / p.totalBytes) * 100) : 100;
  const rate = p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
  return `import: ${pct.toFixed(1)}% · ${p.rows.toLocaleString('en-US')} queries · ${rate.toLocaleString('en-US')} rows/s`;
}

/** `--leases` without a file to import: the leases name the data folder's devices. */
async function leasesOnly(opts: CliOptions, dataDir: string): Promise<number> {
  const leases = await readLeases(opts.leases);
  const { named, notes, saved } = await saveLeaseNames(dataDir, leases);
  const withName = leases.filter((l) => l.mac !== '' && l.name !== '').length;
  if (!saved) {
    process.stderr.write(`dns-witness import: ${notes.join('; ')}\n`);
    return 1;
  }
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  process.stdout.write(
    `read ${leases.length.toLocaleString('en-US')} leases (${withName.toLocaleString('en-US')} with a MAC and a host name); named ${named.toLocaleString('en-US')} devices in ${dataDir}\n`,
  );
  if (opts.json) process.stdout.write(`${JSON.stringify({ leases: leases.length, named })}\n`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dns-witness import: ${err.message} (see --help)\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  try {
    const dataDir = await dataFolder(opts.dataDir);
    if (opts.files.length === 0) return await leasesOnly(opts, dataDir);
    const result = await runImport({
      files: opts.files,
      format: opts.format,
      dataDir,
      name: opts.name,
      routers: opts.routers,
      year: opts.year,
      ports: opts.ports,
      leases: opts.leases,
      keepPartial: opts.keepPartial,
      signal: abort.signal,
      onProgress: (p) => {
        // A terminal gets one line that updates; a pipe or log a line per second.
        if (tty) process.stderr.write(`\r${progressLine(p)}\u001b[K`);
        else if (p.elapsedMs - lastLine >= 1000) {
          lastLine = p.elapsedMs;
          process.stderr.write(`${progressLine(p)}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\n');
    const { source } = result;
    const names = source.files.map((f) => `${f.name} (SHA-256 ${f.sha256})`).join(', ');
    process.stdout.write(
      `${source.partial === false ? 'imported' : 'partially imported'} ${result.queries.toLocaleString('en-US')} queries from ${names} as capture ${result.captureId} in ${dataDir}` +
        (result.skipped > 0
          ? `; ${result.skipped.toLocaleString('en-US')} entries were not DNS queries and were left out`
          : '') +
        '\n',
    );
    if (source.partial !== false) process.stderr.write(`note: ${partialSentence(source.partial)}\n`);
    if (leasesPhrase(source) !== '') process.stderr.write(`note: devices named by ${leasesPhrase(source)}\n`);
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({
          capture_id: result.captureId,
          queries: result.queries,
          skipped: result.skipped,
          first: iso(result.first),
          last: iso(result.last),
          ...(source.partial === false ? {} : { partial: source.partial }),
        })}\n`,
      );
    return 0;
  } catch (err) {
    if (tty) process.stderr.write('\n');
    process.stderr.write(`dns-witness import: ${failureMessage(err)}\n`);
    return err instanceof ImportCancelled ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dns-witness import: ${String(err)}\n`);
    process.exit(1);
  },
);
