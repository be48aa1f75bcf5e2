import type { ExportKind } from '@shared/api';
import { deviceFields } from '@shared/devices';
import type {
  CaptureInfo,
  CaptureSource,
  ClientSummary,
  DeviceInfo,
  EngineStatus,
  QueryFilter,
} from '@shared/events';
import { leasesPhrase, partialSentence } from '@shared/import';
import { isoLocal, localHourOf } from '@shared/time';
import type { WatchMinuteBucket } from '@shared/watch/messages';
import { markerOutcome } from '@shared/watch/rates';
import type { WatchReport } from '@shared/watch/report';
import { REPORTED_PER_DAY } from '@shared/watch/router-models';
import { watchlistSummary } from '../watch';
import { findingSentences, outcomeText } from './findings';
import { describeChain, type ChainReport } from './journal-verify';
import { EVIDENCE_FORMAT } from './manifest';

/** What the engine knows at export time, gathered once so summary and report agree. */
export interface EvidenceFacts {
  readonly now: number;
  readonly status: EngineStatus;
  readonly captures: readonly CaptureInfo[];
  readonly clients: readonly ClientSummary[];
  readonly device: (address: string) => DeviceInfo;
  readonly routers: readonly string[];
  readonly routerModel: string;
  readonly watch: WatchReport;
  /** Watched lookups per minute and (rule, client), all retained (report.html's chart). */
  readonly watchMinutes: readonly WatchMinuteBucket[];
}

/** What building the bundle counted and found. */
export interface EvidenceCounts {
  readonly csvRows: number;
  readonly pcapExchanges: number;
  readonly pcapPackets: number;
  readonly journals: ReadonlyMap<string, { readonly file: string; readonly chain: ChainReport }>;
  readonly screenshot: boolean;
  readonly files: readonly string[];
  /** The install key's fingerprint (install-key.ts); the manifest is signed with it. */
  readonly fingerprint: string;
}

const iso = (ms: number): string => (ms > 0 ? isoLocal(ms) : '');

/** Listening addresses as "127.0.0.1:53/udp". */
export function listenerNames(status: EngineStatus): string[] {
  return status.listeners
    .filter((l) => l.state === 'listening')
    .map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}/${l.transport}`);
}

/** The filter in words, e.g. "device 192.168.0.1 · name contains “avira” · from … to …"; "all queries" when empty. */
export function describeFilter(f: QueryFilter): string {
  const parts: string[] = [];
  if (f.client) parts.push(`device ${f.client}`);
  if (f.name) parts.push(`name contains “${f.name}”`);
  if (f.from !== undefined) parts.push(`from ${isoLocal(f.from)}`);
  if (f.to !== undefined) parts.push(`until ${isoLocal(f.to)}`);
  if (f.captureId) parts.push(`capture ${f.captureId}`);
  return parts.length === 0 ? 'all queries' : parts.join(' · ');
}

/** The captures a filter can select queries from (by id and by time), oldest first. */
export function capturesInScope(
  captures: readonly CaptureInfo[],
  f: QueryFilter,
  now: number,
): CaptureInfo[] {
  const from = f.from ?? Number.NEGATIVE_INFINITY;
  const to = f.to ?? Number.POSITIVE_INFINITY;
  return captures.filter(
    (c) => (!f.captureId || c.id === f.captureId) && c.startedAt < to && (c.stoppedAt || now) >= from,
  );
}

/** The recording time covered: the captures in scope, cut to the filter's window. */
export function capturePeriod(
  scope: readonly CaptureInfo[],
  f: QueryFilter,
  now: number,
): { readonly from: number; readonly to: number } {
  if (scope.length === 0) return { from: 0, to: 0 };
  const start = Math.min(...scope.map((c) => c.startedAt));
  const end = Math.max(...scope.map((c) => c.stoppedAt || now));
  return { from: Math.max(start, f.from ?? start), to: Math.min(end, f.to ?? end) };
}

function offsetText(ms: number): string {
  return isoLocal(ms).slice(23) || 'Z';
}

/** The summary.json object (snake_case, ISO 8601 local times with offset, like the CSV). */
export function buildSummary(facts: EvidenceFacts, filter: QueryFilter, counts: EvidenceCounts) {
  const { now, status } = facts;
  const scope = capturesInScope(facts.captures, filter, now);
  const period = capturePeriod(scope, filter, now);
  const device = (address: string) => ({ address, ...deviceFields(facts.device(address)) });
  const markers = facts.watch.markers.map((m) => ({
    time: isoLocal(m.ts),
    label: m.label,
    effects: facts.watch.effects
      .filter((e) => e.marker === m.id)
      .map((e) => ({
        rule: e.rule,
        address: e.address,
        before: { queries: e.before.count, per_hour: round1(e.before.perHour), window_ms: e.before.windowMs },
        after: { queries: e.after.count, per_hour: round1(e.after.perHour), window_ms: e.after.windowMs },
        change: e.change === null ? null : Math.round(e.change * 1000) / 1000,
        wait_ms: e.waitMs,
        outcome: markerOutcome(e),
        sentence: outcomeText(e),
      })),
  }));
  return {
    format: EVIDENCE_FORMAT,
    generated_at: isoLocal(now),
    generated_at_utc: new Date(now).toISOString(),
    findings: findingSentences(facts.watch, facts.routers),
    computer: {
      clock: isoLocal(now),
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      utc_offset: offsetText(now),
      app: `DNS Witness ${status.version}`,
      platform: process.platform,
    },
    filter: {
      client: filter.client ?? '',
      name: filter.name ?? '',
      from: filter.from !== undefined ? isoLocal(filter.from) : '',
      to: filter.to !== undefined ? isoLocal(filter.to) : '',
      capture_id: filter.captureId ?? '',
      description: describeFilter(filter),
    },
    period: { from: iso(period.from), to: iso(period.to) },
    queries: {
      exported: counts.csvRows,
      pcap_exchanges: counts.pcapExchanges,
      pcap_packets: counts.pcapPackets,
    },
    imported: scope.flatMap((c) => (c.source ? [importedSentence(c.id, c.source)] : [])),
    captures: scope.map((c) => {
      const j = counts.journals.get(c.id);
      return {
        id: c.id,
        state: c.state,
        started_at: iso(c.startedAt),
        stopped_at: iso(c.stoppedAt),
        queries: c.queries,
        source: c.source
          ? {
              format: c.source.format,
              files: c.source.files,
              name: c.source.name,
              imported_at: iso(c.source.importedAt),
              app: c.source.app,
              cannot_tell: c.source.cannotTell,
              dns_messages: c.source.wire,
              skipped: c.source.skipped,
              partial: c.source.partial,
            }
          : null,
        journal: j
          ? {
              file: j.file,
              chain: j.chain.state,
              records: j.chain.records,
              sealed: j.chain.sealed,
              blocks: j.chain.blocks,
              head: j.chain.head,
              unsealed: j.chain.unsealed,
              problems: j.chain.problems,
              description: describeChain(j.chain),
            }
          : null,
      };
    }),
    listeners: listenerNames(status),
    upstreams: status.upstreams.map((u) => ({
      address: u.address,
      healthy: u.healthy,
      queries: u.queries,
      failures: u.failures,
    })),
    // Queries a resolver reported over dnstap were observed, not forwarded: say so, and by whom.
    observed: status.dnstapIn
      ? {
          via: 'dnstap',
          inputs: status.dnstapIn.listeners.map((l) => l.target),
          sources: status.dnstapIn.sources,
          records_since_start: status.dnstapIn.records,
        }
      : null,
    router: { addresses: facts.routers, model: facts.routerModel },
    devices: facts.clients.map((c) => ({
      ...device(c.address),
      queries: c.queries,
      first_seen: iso(c.firstSeen),
      last_seen: iso(c.lastSeen),
    })),
    watchlist: watchlistSummary(facts.watch),
    watchlist_per_hour: perHourByRule(facts.watchMinutes),
    reported_per_day: {
      rule: REPORTED_PER_DAY.rule,
      low: REPORTED_PER_DAY.low,
      high: REPORTED_PER_DAY.high,
      source: 'press reports on TP-Link HomeShield (2022)',
    },
    markers,
    counters: status.counters,
    screenshot: counts.screenshot,
    files: counts.files,
    install_key: { algorithm: 'Ed25519', fingerprint: counts.fingerprint },
  };
}

/** The import formats in words, for the sentences below. */
const FORMAT_NAMES: Readonly<Record<CaptureSource['format'], string>> = {
  pihole: 'a Pi-hole database',
  adguard: 'an AdGuard Home query log',
  dnsmasq: 'a dnsmasq log',
  pcap: 'a pcap packet capture',
  pcapng: 'a pcapng packet capture',
  zeek: 'a Zeek dns.log',
  dnstap: 'a dnstap file',
};

/**
 * "Capture X was imported from querylog.json (SHA-256 …), an AdGuard Home query log, on … by DNS Witness …:
 * DNS Witness did not observe these queries itself." Evidence never passes imported records off as its own.
 */
export function importedSentence(id: string, source: CaptureSource): string {
  const files = source.files.map((f) => `${f.name} (SHA-256 ${f.sha256})`).join(', ');
  const partial =
    source.partial === false
      ? ''
      : ` Only part of the file was imported: ${partialSentence(source.partial)}.`;
  const leases = leasesPhrase(source);
  const named = leases === '' ? '' : ` The devices' MACs and names also come from ${leases}.`;
  return (
    `Capture ${id}${source.name ? ` (“${source.name}”)` : ''} was imported from ${files}, ${FORMAT_NAMES[source.format]}, ` +
    `on ${isoLocal(source.importedAt)} by ${source.app}: DNS Witness did not observe these queries itself, ` +
    `the program that wrote the file did.${partial}${named} ${source.cannotTell.join(' ')}`
  ).trim();
}

/** What summary.json holds. */
export type EvidenceSummary = ReturnType<typeof buildSummary>;

/** Watched lookups per local clock hour and rule (all devices), oldest hour first, times as ISO 8601. */
export function perHourByRule(
  minutes: readonly WatchMinuteBucket[],
): { hour: string; rule: string; lookups: number }[] {
  const byHour = new Map<number, Map<string, number>>();
  for (const b of minutes) {
    const hour = localHourOf(b.minute);
    let rules = byHour.get(hour);
    if (!rules) byHour.set(hour, (rules = new Map()));
    for (const c of b.counts) rules.set(c.rule, (rules.get(c.rule) ?? 0) + c.n);
  }
  return [...byHour.entries()]
    .sort((a, b) => a[0] - b[0])
    .flatMap(([hour, rules]) =>
      [...rules.entries()].map(([rule, lookups]) => ({ hour: isoLocal(hour), rule, lookups })),
    );
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The kinds' file names inside a bundle. */
export const BUNDLE_FILES: Readonly<Record<Exclude<ExportKind, 'bundle' | 'dnstap'>, string>> = {
  csv: 'queries.csv',
  pcap: 'dns.pcap',
  png: 'dashboard.png',
};
