/**
 * What DNS Witness cannot see, and when to say so: a router whose own lookups never arrive (encrypted or
 * hard-coded DNS), a router that proxies every device (no per-device view), and a router that stops asking a
 * blocked name while its other traffic rises (it may have fallen back to HTTP or another resolver). Pure.
 * A device that looks up encrypted-DNS resolvers is reported by shared/watch/bypass.ts ('device-bypass').
 */

export type VisibilityCode = 'router-silent' | 'router-proxy' | 'blocked-fallback' | 'device-bypass';

export interface VisibilityCheck {
  readonly code: VisibilityCode;
  /** "warning": the figures miss something; "info": they are complete but coarser. */
  readonly severity: 'warning' | 'info';
  /** Router address the check is about ("" when it is about the router in general). */
  readonly address: string;
  /** The rule it is about ("" when none). */
  readonly rule: string;
  /** One short line. */
  readonly title: string;
  /** What it means and what to do, in one or two sentences. */
  readonly message: string;
}

/** Recording time after which a router that sent nothing is called silent. */
export const SILENT_AFTER_MS = 3 * 60_000;
/** A router answering for everyone: at least this many of its queries... */
export const PROXY_MIN_QUERIES = 50;
/** ...for at least this many different registrable domains (devices' browsing, not the router's own). */
export const PROXY_MIN_DOMAINS = 15;
/** After a block, the router's rate for the rule must fall below this share of the rate before... */
export const FALLBACK_DROP = 0.1;
/** ...for at least this long. */
export const FALLBACK_AFTER_MS = 2 * 60_000;
/** "Something else rises": the router's other lookups after the block at this multiple of before. */
export const FALLBACK_RISE = 1.5;

/** A watched rule the router was refused (blocked) for, with its rates around the first refusal. */
export interface BlockedRuleTraffic {
  readonly rule: string;
  /** The service's name for messages, e.g. "Avira SafeThings". */
  readonly service: string;
  readonly address: string;
  /** Epoch ms of the first blocked answer. */
  readonly blockedAt: number;
  /** The router's lookups for the rule per hour before the first block, and after it. */
  readonly beforePerHour: number;
  readonly afterPerHour: number;
  /** How long after the block has been observed, ms. */
  readonly afterMs: number;
  /** The router's other lookups per hour, before and after. */
  readonly otherBeforePerHour: number;
  readonly otherAfterPerHour: number;
}

export interface VisibilityInput {
  /** How long captures have been recording, ms. */
  readonly recordingMs: number;
  /** The router's known addresses (empty when none is known). */
  readonly routers: readonly string[];
  /** Queries per client across the retained captures. */
  readonly clients: readonly {
    readonly address: string;
    readonly queries: number;
    readonly isRouter: boolean;
  }[];
  /** Distinct registrable domains the router asked for. */
  readonly routerDomains: number;
  readonly blocked: readonly BlockedRuleTraffic[];
}

const small = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const large = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** 1,192.1 → "1,192", 2.25 → "2.3". */
const perHour = { format: (n: number) => (n >= 10 ? large : small).format(n) };

/** The checks that apply now, most important first. Never throws. */
export function visibilityChecks(input: VisibilityInput): VisibilityCheck[] {
  const out: VisibilityCheck[] = [];
  const routerQueries = input.clients.filter((c) => c.isRouter).reduce((n, c) => n + c.queries, 0);
  const deviceQueries = input.clients.filter((c) => !c.isRouter).reduce((n, c) => n + c.queries, 0);
  if (input.routers.length > 0 && routerQueries === 0 && input.recordingMs >= SILENT_AFTER_MS) {
    out.push({
      code: 'router-silent',
      severity: 'warning',
      address: input.routers[0] ?? '',
      rule: '',
      title: 'No query from the router itself yet',
      message:
        deviceQueries > 0
          ? 'Devices’ queries arrive, but none from the router’s own address. Its own lookups (the ones HomeShield-style services make) only come here when the router’s Internet/WAN DNS points at this computer; some routers use DNS-over-TLS or fixed resolvers for them, which no DNS forwarder can see.'
          : 'Nothing has arrived from the router in several minutes. Point its Internet/WAN DNS at this computer; if it uses DNS-over-TLS or fixed resolvers for its own lookups, they cannot be seen here.',
    });
  }
  if (routerQueries >= PROXY_MIN_QUERIES && deviceQueries === 0 && input.routerDomains >= PROXY_MIN_DOMAINS) {
    out.push({
      code: 'router-proxy',
      severity: 'info',
      address: input.clients.find((c) => c.isRouter)?.address ?? '',
      rule: '',
      title: 'Every query arrives from the router’s address',
      message:
        'The router forwards its devices’ lookups as its own, so they cannot be told apart here, and the router’s lookups are compared with all of them. For one line per device, set this computer as the DNS server in the router’s DHCP settings.',
    });
  }
  for (const b of input.blocked) {
    if (b.afterMs < FALLBACK_AFTER_MS || b.beforePerHour <= 0) continue;
    if (b.afterPerHour > b.beforePerHour * FALLBACK_DROP) continue;
    const rose = b.otherAfterPerHour >= b.otherBeforePerHour * FALLBACK_RISE && b.otherAfterPerHour > 0;
    out.push({
      code: 'blocked-fallback',
      severity: 'warning',
      address: b.address,
      rule: b.rule,
      title: `The router stopped asking for ${b.service} once it was blocked`,
      message:
        `${perHour.format(b.beforePerHour)}/h before the block, ${perHour.format(b.afterPerHour)}/h after. ` +
        (rose
          ? `Its other lookups rose from ${perHour.format(b.otherBeforePerHour)}/h to ${perHour.format(b.otherAfterPerHour)}/h: it may have switched to another way of reaching the service (such as plain HTTP or a fixed resolver), which DNS cannot show.`
          : 'It may have switched to another way of reaching the service (such as plain HTTP or a fixed resolver), which DNS cannot show.'),
    });
  }
  return out;
}
