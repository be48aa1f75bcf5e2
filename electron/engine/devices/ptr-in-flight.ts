// No imports: the DNS thread loads this too, and its start-up is the household's wait for DNS.

/** An echo that arrives this long after our lookup gave up is still ours (the router may be slower than us). */
export const PTR_ECHO_GRACE_MS = 2_000;
/** Finished lookups are remembered this long: an echo is recorded only after its upstream answered. */
const PTR_ECHO_KEEP_MS = 30_000;
const PTR_ECHO_MAX = 4096;

/**
 * The reverse names this computer is asking for, and when. A router that uses DNS Witness as its resolver
 * forwards our own PTR query back to us; that query is ours, not the router's, and must not count as its.
 */
export class PtrInFlight {
  private readonly lookups = new Map<string, { from: number; to: number }>();

  /** Notes that a lookup of `name` (as in QueryEvent.qname) started at `now` (epoch ms). */
  begin(name: string, now: number): void {
    if (this.lookups.size >= PTR_ECHO_MAX) this.prune(now);
    this.lookups.set(name, { from: now, to: Number.POSITIVE_INFINITY });
  }

  /** Notes that the lookup of `name` ended at `now`. */
  end(name: string, now: number): void {
    const l = this.lookups.get(name);
    if (l) l.to = now;
    this.prune(now);
  }

  /**
   * True when a lookup of `name` was running at `ts` (or had ended less than PTR_ECHO_GRACE_MS before). One
   * Map lookup; never throws.
   */
  covers(name: string, ts: number): boolean {
    const l = this.lookups.get(name);
    return l !== undefined && ts >= l.from && ts <= l.to + PTR_ECHO_GRACE_MS;
  }

  private prune(now: number): void {
    for (const [name, l] of this.lookups) if (l.to + PTR_ECHO_KEEP_MS < now) this.lookups.delete(name);
  }
}
