import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { ConfigField } from '@shared/config';
import { DNSTAP_TARGET_HINT, formatDnstapTarget, parseDnstapTarget } from '@shared/dnstap';
import { parseHostPort } from '@shared/host-port';
import { parseCidr } from '../engine/dns/acl';
import { TCP_PER_CLIENT } from '../engine/dns/forwarder';
import { defaultEngineOptions, DNS_PORT, type EngineOptions } from '../engine/options';

export interface ServeOptions {
  readonly engine: EngineOptions;
  readonly ui: { readonly host: string; readonly port: number };
  /** --token: require the access token even on loopback (beyond loopback it is always required). */
  readonly requireToken: boolean;
  /** --max-upload-mb: the largest file the dashboard may upload to import, in bytes. */
  readonly maxUploadBytes: number;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: ServeOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

export const DEFAULT_UI = { host: '127.0.0.1', port: 5380 };
/** The largest upload to import by default: 2 GiB, as large as the logs and captures users bring. */
export const DEFAULT_MAX_UPLOAD_MB = 2048;

export const HELP = `Usage: npm run serve -- [options]

Runs the DNS Witness forwarder and capture engine without a window, and serves the dashboard.

DNS
  --listen ADDR[:PORT]   Answer DNS on this address (UDP and TCP). Repeatable.
                         Default: port 53 on loopback and on each LAN address of this computer.
                         --listen none: answer no DNS, only observe resolvers through --dnstap-in.
  --upstream HOST[:PORT] Resolver that answers the queries, tried in order. Repeatable.
                         Default: 1.1.1.1 and 9.9.9.9. Never your router (it will point at this computer).
  --allow CIDR           Also answer clients in this range. Repeatable. Loopback, private (RFC 1918),
                         CGNAT, link-local and IPv6 ULA ranges are always allowed; others get REFUSED.
  --timeout MS           Time to wait for each upstream before trying the next (default 1500).
  --max-inflight N       Queries forwarded at once; the excess gets SERVFAIL (default 2000).
  --tcp-per-client N     TCP connections one client address may hold at once (default 8).

Devices
  --router ADDR          This address is the router too (besides this computer's default gateways):
                         its queries are marked as the router's in the dashboard, API and CSV. Repeatable.

Capture
  --data-dir DIR         Where captures are kept (default: the app's data folder,
                         e.g. ~/.config/DNS Witness/data).
  --retention-days N     Delete stopped captures older than N days; 0 keeps all (default 30).
  --no-capture           Answer queries but do not record until a capture is started from the dashboard.

dnstap
  --dnstap-out TARGET    Send every exchange as dnstap (client and forwarder sides) to a reader's socket:
                         unix:PATH or tcp:HOST:PORT. Repeatable. Also in Settings.
  --dnstap-in TARGET     Listen for a resolver's dnstap (Unbound, dnsdist, Knot) on unix:PATH or
                         tcp:ADDR:PORT and record its exchanges as observed. Repeatable. TCP peers must
                         be in the allowed ranges (--allow).

Dashboard
  --ui ADDR:PORT         Serve the dashboard and API here (default 127.0.0.1:5380). Any address beyond
                         loopback (a LAN address, 0.0.0.0) requires an access token: made on first start,
                         kept in the data folder (ui-token) and printed once as part of the address.
  --token                Require the access token on loopback too.
  --max-upload-mb N      The largest file the dashboard may upload to import (default 2048 MiB);
                         larger ones are refused with 413.

  -h, --help             Show this help.
  -v, --version          Show the version.

API: GET /api/health, /api/summary, /api/queries?client=&name=&from=&to=&offset=&limit=, /api/export.csv
`;

/** A bad command line: one line for the user; the CLI exits with code 2. */
export class UsageError extends Error {}

function intOption(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UsageError(`--${name} needs a whole number from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

/** Parses `serve` arguments. Throws UsageError with one readable line. */
export function parseServeArgs(argv: readonly string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string', multiple: true },
        upstream: { type: 'string', multiple: true },
        allow: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        'max-inflight': { type: 'string' },
        'tcp-per-client': { type: 'string' },
        'data-dir': { type: 'string' },
        'retention-days': { type: 'string' },
        'no-capture': { type: 'boolean' },
        router: { type: 'string', multiple: true },
        'dnstap-out': { type: 'string', multiple: true },
        'dnstap-in': { type: 'string', multiple: true },
        ui: { type: 'string' },
        token: { type: 'boolean' },
        'max-upload-mb': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (err) {
    // parseArgs' messages are long and mention internals; keep the first sentence.
    const msg = (err as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(msg);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const noListen = (values.listen ?? []).some((text) => text.trim() === 'none');
  if (noListen && values.listen!.length > 1)
    throw new UsageError('--listen none cannot be combined with other --listen addresses');
  const listen = (noListen ? [] : (values.listen ?? [])).map((text) => {
    // Port 0 lets tests and several instances pick a free port.
    const hp = parseHostPort(text, DNS_PORT, true);
    if (!hp)
      throw new UsageError(
        `--listen needs an IP address with an optional port (e.g. 192.168.1.20:53), got "${text}"`,
      );
    return hp;
  });
  const upstreams = (values.upstream ?? []).map((text) => {
    const hp = parseHostPort(text, DNS_PORT);
    if (!hp)
      throw new UsageError(
        `--upstream needs an IP address with an optional port (e.g. 9.9.9.9 or 127.0.0.1:5353), got "${text}"`,
      );
    return hp;
  });
  for (const range of values.allow ?? [])
    if (!parseCidr(range))
      throw new UsageError(`--allow needs an address range like 203.0.113.0/24, got "${range}"`);
  const routers = (values.router ?? []).map((text) => {
    const address = text.trim();
    if (isIP(address) === 0)
      throw new UsageError(`--router needs an IP address (e.g. 192.168.0.1), got "${text}"`);
    return address;
  });
  const dnstapOut = (values['dnstap-out'] ?? []).map((text) => {
    const target = parseDnstapTarget(text);
    if (!target) throw new UsageError(`--dnstap-out needs ${DNSTAP_TARGET_HINT}, got "${text}"`);
    return formatDnstapTarget(target);
  });
  const dnstapIn = (values['dnstap-in'] ?? []).map((text) => {
    const target = parseDnstapTarget(text);
    if (!target) throw new UsageError(`--dnstap-in needs ${DNSTAP_TARGET_HINT}, got "${text}"`);
    return formatDnstapTarget(target);
  });
  if (noListen && dnstapIn.length === 0)
    throw new UsageError('--listen none needs --dnstap-in: with neither, DNS Witness would see nothing');
  let ui = DEFAULT_UI;
  if (values.ui !== undefined) {
    const hp = parseHostPort(values.ui, DEFAULT_UI.port, true);
    if (!hp) throw new UsageError(`--ui needs ADDR:PORT (e.g. 127.0.0.1:5380), got "${values.ui}"`);
    ui = hp;
  }
  if (values['data-dir'] !== undefined && values['data-dir'].trim() === '')
    throw new UsageError('--data-dir needs a folder');

  const overrides: { -readonly [K in keyof EngineOptions]?: EngineOptions[K] } = {
    allow: values.allow ?? [],
    retentionDays: intOption('retention-days', values['retention-days'], 30, 0, 36500),
    timeoutMs: intOption('timeout', values.timeout, 1500, 50, 60_000),
    maxInFlight: intOption('max-inflight', values['max-inflight'], 2000, 1, 100_000),
    tcpPerClient: intOption('tcp-per-client', values['tcp-per-client'], TCP_PER_CLIENT, 1, 256),
    autoStartCapture: !values['no-capture'],
    routers,
  };
  // Which settable options the flags chose: those win over the saved settings.
  const commandLine: ConfigField[] = [];
  if (listen.length > 0 || noListen) commandLine.push('listen');
  if (upstreams.length > 0) commandLine.push('upstreams');
  if (values.allow !== undefined) commandLine.push('allow');
  if (values['retention-days'] !== undefined) commandLine.push('retentionDays');
  if (values['data-dir'] !== undefined) commandLine.push('dataDir');
  if (dnstapOut.length > 0) {
    commandLine.push('dnstapOut');
    overrides.dnstapOut = dnstapOut;
  }
  overrides.commandLine = commandLine;
  if (listen.length > 0 || noListen) overrides.listen = listen;
  if (dnstapIn.length > 0) overrides.dnstapIn = dnstapIn;
  if (upstreams.length > 0) overrides.upstreams = upstreams;
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  return {
    kind: 'run',
    options: {
      engine: defaultEngineOptions(overrides),
      ui,
      requireToken: values.token === true,
      maxUploadBytes:
        intOption('max-upload-mb', values['max-upload-mb'], DEFAULT_MAX_UPLOAD_MB, 1, 1 << 20) * 1024 * 1024,
    },
  };
}
