import { randomBytes, randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * Time and timers for the engine, injected so failover, loop probes, batching and journal flushes can run on
 * a synthetic clock in tests (fake-clock.ts). Handles are opaque: only the clock that made one can clear it.
 */
export interface Clock {
  /** Wall-clock epoch ms: what records are stamped with and deadlines are reckoned in. */
  now(): number;
  /** Monotonic ms with sub-ms precision, for latencies; only differences mean anything. */
  mono(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * The real clock. Its timers never keep the process alive by themselves: the sockets and files they watch
 * over do, and a forgotten timer must not hold up an exit.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Unpredictable numbers for DNS query IDs and probe names; injected so tests can force collisions. */
export interface RandomSource {
  /** An integer in 0..65535. */
  uint16(): number;
  /** `bytes` random bytes as lowercase hex. */
  hex(bytes: number): string;
}

/** IDs drawn per refill: one getrandom call serves this many queries. */
const ID_POOL = 4096;

/**
 * RFC 5452 §9.2: query IDs must be unpredictable (with the random source port, they are what stops an
 * off-path attacker from forging answers), so they come from the CSPRNG, never Math.random. Drawn in
 * batches so a query costs an array read, not a system call.
 */
export class CryptoRandom implements RandomSource {
  private readonly pool = new Uint16Array(ID_POOL);
  private next = ID_POOL;

  uint16(): number {
    if (this.next === ID_POOL) {
      randomFillSync(this.pool);
      this.next = 0;
    }
    return this.pool[this.next++]!;
  }

  hex(bytes: number): string {
    return randomBytes(bytes).toString('hex');
  }
}

/** The process-wide default random source. */
export const cryptoRandom: RandomSource = new CryptoRandom();
