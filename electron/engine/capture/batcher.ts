/** One delivery to one subscriber. */
export interface Batch<T> {
  /** Per subscriber, starting at 1. */
  readonly batch: number;
  readonly events: readonly T[];
  /** Events this subscriber lost since its previous batch because it fell behind. */
  readonly dropped: number;
}

export interface BatcherOptions {
  /** Everything pending is delivered once this much time has passed since the last such delivery. */
  readonly intervalMs: number;
  /** A subscriber with this many pending events gets them on the next tick, whatever the time. */
  readonly maxEvents: number;
  /** Pending events kept per subscriber unless it says otherwise; beyond it the oldest are dropped. */
  readonly maxPending: number;
  /** Told when a listener throws; the listener stays subscribed. */
  readonly onListenerError?: (err: unknown) => void;
}

/** Pending events of one subscriber: a FIFO that drops its oldest entries beyond `cap`. */
class PendingQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  dropped = 0;

  constructor(readonly cap: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length - this.head > this.cap) {
      this.items[this.head] = undefined;
      this.head++;
      this.dropped++;
      // Compact once the dead prefix outgrows the live part: amortised O(1) per push.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
  }

  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n) as T[];
    this.head += out.length;
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return out;
  }
}

interface Subscriber<T> {
  readonly listener: (batch: Batch<T>) => void;
  readonly pending: PendingQueue<T>;
  next: number;
  active: boolean;
}

/**
 * Groups a stream of events into numbered batches per subscriber. Pure: it never reads a clock or sets a
 * timer; the owner calls push() for each event and tick(now) from its one timer (and soon after push()
 * reports a full batch). A listener that throws affects neither the batcher nor the other listeners.
 */
export class Batcher<T> {
  private subscribers: Subscriber<T>[] = [];
  private lastFlush = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: BatcherOptions) {}

  /** Number of subscribers; the owner can skip building events when it is 0. */
  get size(): number {
    return this.subscribers.length;
  }

  /** Whether some subscriber has events (or a drop count) not yet delivered. */
  get hasPending(): boolean {
    return this.subscribers.some((sub) => sub.pending.size > 0 || sub.pending.dropped > 0);
  }

  /** Adds a listener; returns its unsubscribe function (idempotent). */
  subscribe(listener: (batch: Batch<T>) => void, maxPending = this.opts.maxPending): () => void {
    const cap = Math.max(1, Math.floor(maxPending));
    const sub: Subscriber<T> = { listener, pending: new PendingQueue<T>(cap), next: 1, active: true };
    this.subscribers = [...this.subscribers, sub];
    return () => {
      if (!sub.active) return;
      sub.active = false;
      this.subscribers = this.subscribers.filter((s) => s !== sub);
    };
  }

  /** Queues `event` for every subscriber; true when some subscriber has a full batch waiting for tick(). */
  push(event: T): boolean {
    let full = false;
    for (const sub of this.subscribers) {
      sub.pending.push(event);
      if (sub.pending.size >= this.opts.maxEvents) full = true;
    }
    return full;
  }

  /**
   * Delivers full batches (maxEvents each) at once, and everything else that is pending when intervalMs
   * has passed since the last interval delivery.
   */
  tick(now: number): void {
    // The owner's timer and clock can disagree by a millisecond or two, so a slightly early tick still
    // counts; a clock that went backwards (NTP step) must not hold batches back until it catches up.
    const due = now < this.lastFlush || now - this.lastFlush >= this.opts.intervalMs * 0.9;
    if (due) this.lastFlush = now;
    // subscribe()/unsubscribe() replace the array, so listeners changing it mid-loop cannot upset this loop.
    for (const sub of this.subscribers) {
      while (sub.active && sub.pending.size >= this.opts.maxEvents) this.deliver(sub, this.opts.maxEvents);
      if (due && sub.active && sub.pending.size > 0) this.deliver(sub, sub.pending.size);
    }
  }

  private deliver(sub: Subscriber<T>, n: number): void {
    const events = sub.pending.take(n);
    const batch: Batch<T> = { batch: sub.next, events, dropped: sub.pending.dropped };
    sub.next++;
    sub.pending.dropped = 0;
    try {
      sub.listener(batch);
    } catch (err) {
      try {
        this.opts.onListenerError?.(err);
      } catch {
        // Nothing more to tell anyone.
      }
    }
  }
}
