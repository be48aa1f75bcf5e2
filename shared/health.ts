/**
 * What /api/health, the dashboard and a monitor say about the service: `ok` is false only while DNS itself
 * cannot be served; everything else that is degraded is a problem in the list, one line each.
 */
import type { EngineStatus } from './events';

export type HealthProblemCode =
  | 'no-dns-listener'
  | 'listener-failed'
  | 'upstreams-down'
  | 'upstream-failing'
  | 'storage-error'
  | 'records-lost'
  | 'dnstap-dropped'
  | 'dnstap-in-failed'
  | 'dnstap-in-dropped'
  | 'alert-failing'
  | 'events-dropped'
  | 'dns-thread-restarted'
  | 'dns-records-dropped';

/** How long a restart of the DNS thread is listed among the problems. */
export const RESTART_NEWS_MS = 60 * 60_000;

/** "just now", "1 minute ago", "12 minutes ago". */
function ago(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  return minutes === 0 ? 'just now' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}

export interface HealthProblem {
  readonly code: HealthProblemCode;
  /** One sentence for a person. */
  readonly message: string;
}

export interface Health {
  readonly ok: boolean;
  readonly problems: readonly HealthProblem[];
}

/** The live-event streams (dashboards) a transport serves that fell behind and have events dropped. */
export interface StreamLag {
  /** Streams dropping events now: their client does not read what was sent and the send buffer is full. */
  readonly behind: number;
  /** Events those streams were not sent since they fell behind (they are recorded all the same). */
  readonly dropped: number;
}

/**
 * The service's health from its status, and from the transport's streams when it has any; pure, so the API
 * and the dashboard say the same.
 */
export function healthOf(
  s: Pick<
    EngineStatus,
    | 'listeners'
    | 'upstreams'
    | 'storage'
    | 'dnstapDropped'
    | 'dnstapIn'
    | 'alertsFailing'
    | 'dnsThread'
    | 'now'
  >,
  streams: StreamLag = { behind: 0, dropped: 0 },
): Health {
  const problems: HealthProblem[] = [];
  const listening = s.listeners.filter((l) => l.state === 'listening');
  const failed = s.listeners.filter((l) => l.state === 'error');
  const observing = (s.dnstapIn?.listeners ?? []).filter((l) => l.state === 'listening');
  // Beside an existing resolver (dnstap in only, no DNS listener configured) answering is not our job.
  if (listening.length === 0 && (s.listeners.length > 0 || observing.length === 0))
    problems.push({ code: 'no-dns-listener', message: 'DNS is not answered: no listener is open.' });
  for (const l of s.dnstapIn?.listeners ?? [])
    if (l.state === 'error')
      problems.push({
        code: 'dnstap-in-failed',
        message: `The dnstap input ${l.target} is not listening: ${l.error}`,
      });
  const inDropped = s.dnstapIn?.dropped ?? 0;
  if (inDropped > 0)
    problems.push({
      code: 'dnstap-in-dropped',
      message: `${inDropped.toLocaleString('en-US')} dnstap messages from resolvers were not recorded (more arrived than could be decoded).`,
    });
  for (const l of failed)
    problems.push({
      code: 'listener-failed',
      message: `${l.address}:${l.port} (${l.transport.toUpperCase()}) is not listening: ${l.error}`,
    });
  const healthy = s.upstreams.filter((u) => u.healthy);
  if (s.upstreams.length > 0 && healthy.length === 0)
    problems.push({
      code: 'upstreams-down',
      message: `No upstream answers (${s.upstreams.map((u) => `${u.address}: ${u.lastError || 'failing'}`).join(', ')}): clients get SERVFAIL.`,
    });
  else
    for (const u of s.upstreams.filter((x) => !x.healthy))
      problems.push({
        code: 'upstream-failing',
        message: `Upstream ${u.address} is failing (${u.lastError || 'no answer'}); the others answer.`,
      });
  if (s.storage.error !== '')
    problems.push({
      code: 'storage-error',
      message: `Queries are answered but cannot be saved: ${s.storage.error}. They wait in memory and are written when it works again.`,
    });
  if (s.storage.lostRecords > 0)
    problems.push({
      code: 'records-lost',
      message: `${s.storage.lostRecords.toLocaleString('en-US')} answered queries could not be saved.`,
    });
  const dnstapDropped = s.dnstapDropped ?? 0;
  if (dnstapDropped > 0)
    problems.push({
      code: 'dnstap-dropped',
      message: `${dnstapDropped.toLocaleString('en-US')} exchanges were not sent to a dnstap reader (it was away or too slow).`,
    });
  for (const a of s.alertsFailing ?? [])
    problems.push({
      code: 'alert-failing',
      message: `Watchlist alerts do not reach ${a.target}: ${a.error}`,
    });
  if (streams.behind > 0)
    problems.push({
      code: 'events-dropped',
      message:
        `${streams.behind === 1 ? 'A dashboard falls' : `${streams.behind} dashboards fall`} behind the live stream: ` +
        `${streams.dropped.toLocaleString('en-US')} live queries were not sent to ${streams.behind === 1 ? 'it' : 'them'} ` +
        '(they are recorded; reloading the dashboard shows them).',
    });
  const thread = s.dnsThread;
  // A restart is news for an hour; after that the count stays in the status, not among the problems.
  const sinceCrash = thread ? s.now - thread.lastCrashAt : Infinity;
  if (thread && thread.restarts > 0 && sinceCrash < RESTART_NEWS_MS)
    problems.push({
      code: 'dns-thread-restarted',
      message: `The DNS thread stopped ${thread.restarts === 1 ? 'once' : `${thread.restarts} times`} and was started again (last: ${thread.lastCrash}, ${ago(sinceCrash)}).`,
    });
  if (thread && thread.dropped > 0)
    problems.push({
      code: 'dns-records-dropped',
      message: `${thread.dropped.toLocaleString('en-US')} answered queries were not recorded (the service fell behind the DNS thread).`,
    });
  const dnsDown = problems.some((p) => p.code === 'no-dns-listener' || p.code === 'upstreams-down');
  return { ok: !dnsDown, problems };
}
