/**
 * Resource limits of the headless service, so that no browser or script, however many streams it opens or
 * requests it sends, can keep the shared event loop from answering DNS.
 */

/** The service's caps; numbers chosen so one dashboard (a few requests a second, one stream) never meets them. */
export const LIMITS = {
  /** Live streams open at once, in total and from one remote address. */
  maxStreams: 32,
  maxStreamsPerAddress: 8,
  /** Requests per remote address: a burst, then this many a second. */
  requestBurst: 200,
  requestsPerSecond: 100,
  /** Messages a stream client may send per 10 s (it has no reason to send any). */
  streamMessagesPer10s: 50,
  /** Largest request body (RPC arguments) and WebSocket frame. */
  maxBodyBytes: 64 * 1024,
  /** CSV downloads running at once (each holds an index walk). */
  maxCsvExports: 4,
  /** TCP connections to the HTTP server at once; beyond it the address holding the most gives one up. */
  maxConnections: 256,
  /** A request's headers, and the whole request, must arrive within these. */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /** Remote addresses remembered by the rate limiter; the oldest are forgotten beyond this. */
  maxTrackedClients: 4096,
  /** TCP connections from one remote address. */
  maxConnectionsPerAddress: 32,
  /**
   * Event-loop time the API may spend per second, in total: beyond it requests are refused at once, so the
   * DNS forwarder on the same loop always keeps most of each second.
   */
  apiWorkMsPerSecond: 250,
  /** Refusals (429/503) are answered after this delay, so a client that retries at once cannot spin the loop. */
  refusalDelayMs: 250,
} as const;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token-bucket rate limit per key (the remote address): `burst` at once, refilled at `perSecond`.
 * Remembers at most `maxKeys` keys (least recently used dropped), so a spoofing flood cannot grow it.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request's worth for `key`; false when the key is over its rate. */
  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: t };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(key); // re-inserted below: Map order is the LRU order
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
      b.at = t;
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until `key` may send again (at least 1), for Retry-After. */
  retryAfter(key: string): number {
    const b = this.buckets.get(key);
    if (!b || b.tokens >= 1) return 1;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }
}

/** Why a stream was refused, or null when it may open. */
export type StreamRefusal = 'too many streams' | 'too many streams from this address' | null;

/** Counts open streams in total and per remote address. */
export class StreamSlots {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Takes a slot for `address`, or says why not. The caller must `release` a taken slot exactly once. */
  acquire(address: string): StreamRefusal {
    if (this.total >= this.maxTotal) return 'too many streams';
    const n = this.byAddress.get(address) ?? 0;
    if (n >= this.maxPerAddress) return 'too many streams from this address';
    this.total += 1;
    this.byAddress.set(address, n + 1);
    return null;
  }

  release(address: string): void {
    const n = this.byAddress.get(address) ?? 0;
    if (n <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, n - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get open(): number {
    return this.total;
  }
}

/**
 * A budget of event-loop milliseconds refilled at `msPerSecond` (at most one second's worth banked): handlers
 * report what they `spend`, and `available` says whether more work may start now.
 */
export class WorkBudget {
  private balance: number;
  private at: number;

  constructor(
    private readonly msPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.balance = msPerSecond;
    this.at = now();
  }

  available(): boolean {
    this.refill();
    return this.balance > 0;
  }

  spend(ms: number): void {
    this.refill();
    this.balance -= ms;
  }

  private refill(): void {
    const t = this.now();
    this.balance = Math.min(this.msPerSecond, this.balance + ((t - this.at) / 1000) * this.msPerSecond);
    this.at = t;
  }

  /** Runs `work` and charges its duration (also when it throws). */
  measure<T>(work: () => T): T {
    const t0 = this.now();
    try {
      return work();
    } finally {
      this.spend(this.now() - t0);
    }
  }
}
