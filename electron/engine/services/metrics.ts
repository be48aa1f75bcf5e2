import type { EngineStatus } from '@shared/events';
import { rateIsKnown, type LookupRate } from '@shared/watch/lookup-rate';
import type { ExchangeRecord } from '../capture';
import { BoundedCounters, BoundedHistograms, CarriedTotals, OTHER } from '../metrics/counters';
import { Exposition } from '../metrics/exposition';

/**
 * Series limits. Devices: the first 50 client addresses seen get their own series, routers up to 16 more
 * (a router seen late still gets one); the rest are `device="other"`. Rules and (rule, router) pairs: 100
 * each. Upstreams: 32, the most Settings takes. A series once given is kept until the service restarts.
 */
export const METRICS_LIMITS = {
  devices: 50,
  extraRouters: 16,
  rules: 100,
  routerRules: 100,
  upstreams: 32,
} as const;

/** Upper bounds of the latency histogram, seconds. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What a scrape reads besides the counters kept here. */
export interface MetricsInputs {
  readonly status: EngineStatus;
  /** Each router's lookups per rule with its rate (shared/watch/lookup-rate.ts), as the watchlist states it. */
  readonly routerRates: readonly {
    readonly rule: string;
    readonly router: string;
    readonly rate: LookupRate;
  }[];
  /** Alert deliveries per target (alerts.ts); absent while alerts are not set up. */
  readonly alerts?: readonly {
    readonly target: string;
    readonly sent: number;
    readonly failed: number;
    readonly dropped: number;
  }[];
}

const SEP = '\n';

/**
 * The numbers behind `GET /metrics`: per-device, per-rule and per-router counters and the upstream latency
 * histogram, counted as exchanges pass (one Map lookup each on the DNS path, no allocation for a known
 * device), and the exposition text, written when scraped from those and the engine's status. Does nothing
 * between queries and scrapes.
 */
export class MetricsService {
  private readonly devices = new BoundedCounters(METRICS_LIMITS.devices, METRICS_LIMITS.extraRouters);
  private readonly rules = new BoundedCounters(METRICS_LIMITS.rules);
  private readonly routerRules = new BoundedCounters(METRICS_LIMITS.routerRules);
  private readonly upstreamAnswers = new BoundedCounters(METRICS_LIMITS.upstreams);
  private readonly latency = new BoundedHistograms(LATENCY_BUCKETS_S, METRICS_LIMITS.upstreams);
  private readonly upstreamFailures = new CarriedTotals();
  private journaled = 0;

  constructor(private readonly isRouter: (address: string) => boolean) {}

  /** Counts one exchange the service answered (and, when `recording`, wrote to the journal). On the DNS path. */
  record(rec: ExchangeRecord, recording: boolean): void {
    const client = rec.client;
    this.devices.add(client, 1, () => this.isRouter(client));
    if (recording) this.journaled++;
    if (rec.watchRule !== '') {
      this.rules.add(rec.watchRule);
      if (this.isRouter(client)) this.routerRules.add(rec.watchRule + SEP + client);
    }
    if (rec.upstream !== '') {
      this.upstreamAnswers.add(rec.upstream);
      this.latency.observe(rec.upstream, rec.latencyMs / 1000);
    }
  }

  /** The exposition text (exposition.ts) of everything counted and of `inputs`. */
  text(inputs: MetricsInputs): string {
    const s = inputs.status;
    const c = s.counters;
    const x = new Exposition();
    x.gauge('dnswitness_build_info', 'The running version (value 1).', [
      { labels: { version: s.version }, value: 1 },
    ]);
    x.counter(
      'dnswitness_queries_total',
      `DNS queries answered, by client address; the first ${METRICS_LIMITS.devices} clients and routers have their own series, later ones are device="${OTHER}".`,
      this.devices.samples((device) => ({ device }), { device: OTHER }),
    );
    x.counter(
      'dnswitness_watch_queries_total',
      'Queries of names a watchlist rule matches, by rule, from every device.',
      this.rules.samples((rule) => ({ rule }), { rule: OTHER }),
    );
    x.counter(
      'dnswitness_router_watch_queries_total',
      "The router's queries of names a watchlist rule matches, by rule and router address.",
      this.routerRules.samples(
        (key) => {
          const [rule = '', router = ''] = key.split(SEP);
          return { rule, router };
        },
        { rule: OTHER, router: OTHER },
      ),
    );
    x.gauge(
      'dnswitness_router_watch_rate_per_day',
      "The router's lookups per rule as a daily rate, the figure the dashboard states; absent while it is too early to tell.",
      inputs.routerRates.flatMap((r) =>
        rateIsKnown(r.rate) ? [{ labels: { rule: r.rule, router: r.router }, value: r.rate.perDay }] : [],
      ),
    );
    const forwarder: [string, number, string][] = [
      ['queries', c.queries, 'DNS queries received (including refused and malformed ones).'],
      ['answered', c.answered, 'Responses sent other than SERVFAIL.'],
      ['servfail', c.servfail, 'SERVFAIL responses sent (no upstream answered, or overload).'],
      ['refused', c.refused, 'Queries refused: the client is outside the allowed ranges.'],
      ['malformed', c.malformed, 'Packets dropped as not a DNS query.'],
      ['unexpected_responses', c.unexpectedResponses, 'Upstream replies dropped as not ours.'],
      ['overload', c.overload, 'Queries answered SERVFAIL at once above the in-flight cap.'],
      ['loops', c.loops, 'Queries that came back to us through a loop.'],
    ];
    for (const [name, value, help] of forwarder) x.counter(`dnswitness_dns_${name}_total`, help, [{ value }]);
    x.gauge('dnswitness_dns_in_flight', 'Queries waiting for an upstream now.', [{ value: c.inFlight }]);
    x.gauge(
      'dnswitness_listener_up',
      'Whether a DNS listener is open (1) or failed (0).',
      s.listeners.map((l) => ({
        labels: { address: `${l.address}:${l.port}`, transport: l.transport },
        value: l.state === 'listening' ? 1 : 0,
      })),
    );
    x.gauge(
      'dnswitness_upstream_up',
      'Whether an upstream is healthy (1) or failing (0).',
      s.upstreams.map((u) => ({ labels: { upstream: u.address }, value: u.healthy ? 1 : 0 })),
    );
    x.counter(
      'dnswitness_upstream_answers_total',
      'Queries an upstream answered, by upstream.',
      this.upstreamAnswers.samples((upstream) => ({ upstream }), { upstream: OTHER }),
    );
    x.counter(
      'dnswitness_upstream_failures_total',
      'Exchanges with an upstream that failed (timeout, SERVFAIL, REFUSED, a lost connection).',
      s.upstreams.map((u) => ({
        labels: { upstream: u.address },
        value: this.upstreamFailures.total(u.address, u.failures),
      })),
    );
    x.histogram(
      'dnswitness_upstream_latency_seconds',
      "Time from a client's query to the answer an upstream gave, by upstream (retries and failover included).",
      this.latency.samples('upstream'),
    );
    x.counter('dnswitness_journal_records_total', 'Queries recorded into a capture.', [
      { value: this.journaled },
    ]);
    x.counter(
      'dnswitness_journal_lost_records_total',
      'Answered queries that could not be saved (the memory for waiting ones ran out).',
      [{ value: s.storage.lostRecords }],
    );
    x.gauge('dnswitness_journal_write_error', "Whether the capture's journal cannot be written now (1).", [
      { value: s.storage.error === '' ? 0 : 1 },
    ]);
    x.counter(
      'dnswitness_dnstap_dropped_total',
      'Exchanges a dnstap output dropped (its reader away or too slow).',
      [{ value: s.dnstapDropped ?? 0 }],
    );
    const alerts = inputs.alerts ?? [];
    x.counter(
      'dnswitness_alerts_sent_total',
      'Alerts delivered, by target.',
      alerts.map((a) => ({ labels: { target: a.target }, value: a.sent })),
    );
    x.counter(
      'dnswitness_alerts_failed_total',
      'Alert deliveries that failed, by target.',
      alerts.map((a) => ({ labels: { target: a.target }, value: a.failed })),
    );
    x.counter(
      'dnswitness_alerts_dropped_total',
      'Alerts dropped because the queue of a target was full, by target.',
      alerts.map((a) => ({ labels: { target: a.target }, value: a.dropped })),
    );
    const capture = s.capture;
    const running = capture?.state === 'running';
    x.gauge('dnswitness_capture_running', 'Whether a capture records (1) or not (0).', [
      { value: running ? 1 : 0 },
    ]);
    x.gauge('dnswitness_capture_queries', 'Queries in the running capture.', [
      { value: running ? capture.queries : 0 },
    ]);
    x.gauge(
      'dnswitness_capture_start_time_seconds',
      'When the running capture started, Unix seconds (0 when none runs).',
      [{ value: running ? capture.startedAt / 1000 : 0 }],
    );
    return x.text();
  }
}
