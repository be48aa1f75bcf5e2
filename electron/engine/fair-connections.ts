/**
 * A fair share of a server's connection slots between client addresses, for the DNS-over-TCP listener and
 * the dashboard's HTTP server alike. A hard cap that refuses new connections once full lets one address
 * (or a few) lock everyone else out by holding slow or half-open connections; here a full table makes room
 * instead, by closing a connection of the address that holds the most, an idle one first, oldest first.
 * Plain bookkeeping: the caller says what a connection is doing and how to close it.
 */

/** One connection as the table sees it. */
export interface ConnectionSlot {
  readonly address: string;
  /** Working on a request (a DNS query or an HTTP request being answered); idle otherwise. */
  busy: boolean;
  /** Closes the connection; the caller's close handler then calls `release`. */
  evict(): void;
}

export class FairConnections<S extends ConnectionSlot = ConnectionSlot> {
  /** Per address, its connections oldest first (Set keeps insertion order). */
  private readonly byAddress = new Map<string, Set<S>>();
  private total = 0;
  /** Connections closed to make room, since start. */
  evicted = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  /**
   * Counts `slot` in, or returns false (not counted; the caller closes it) when its address already holds
   * `maxPerAddress`. When the table is full, evicts one connection first (see the file comment).
   */
  admit(slot: S): boolean {
    const mine = this.byAddress.get(slot.address);
    if (mine !== undefined && mine.size >= this.maxPerAddress) return false;
    if (this.total >= this.maxTotal) this.evictOne();
    let set = this.byAddress.get(slot.address);
    if (set === undefined) this.byAddress.set(slot.address, (set = new Set()));
    set.add(slot);
    this.total += 1;
    return true;
  }

  /** Counts `slot` out; safe to call twice or for a slot never admitted. */
  release(slot: S): void {
    const set = this.byAddress.get(slot.address);
    if (set === undefined || !set.delete(slot)) return;
    this.total -= 1;
    if (set.size === 0) this.byAddress.delete(slot.address);
  }

  get open(): number {
    return this.total;
  }

  /** Connections from `address` now. */
  count(address: string): number {
    return this.byAddress.get(address)?.size ?? 0;
  }

  private evictOne(): void {
    let most: Set<S> | undefined;
    for (const set of this.byAddress.values()) if (most === undefined || set.size > most.size) most = set;
    if (most === undefined) return;
    let victim: S | undefined;
    for (const s of most) {
      if (!s.busy) {
        victim = s;
        break;
      }
    }
    victim ??= most.values().next().value;
    if (victim === undefined) return;
    // Counted out now, so the new connection fits even before the close handler runs.
    this.release(victim);
    this.evicted += 1;
    victim.evict();
  }
}
