import type { AlertTargetStatus } from '@shared/alerts';

/** Alerts waiting per target; past this they are dropped and counted. */
export const ALERT_QUEUE_MAX = 100;

/**
 * One target's outbox: alerts wait here (bounded), one is sent at a time, each send has its own timeout
 * (the sender's), and every outcome is counted for Settings, /api/health and /metrics. Sending starts on
 * a later turn of the event loop, never inside the DNS path that raised the alert. Nothing runs while
 * the queue is empty.
 */
export class DeliveryQueue<T> {
  private readonly waiting: T[] = [];
  private busy = false;
  private sent = 0;
  private failed = 0;
  private dropped = 0;
  private lastError = '';
  private lastSentAt = 0;
  private lastErrorAt = 0;

  constructor(
    /** Sends one item; rejects with a readable Error on failure. */
    private readonly send: (item: T) => Promise<void>,
    private readonly now: () => number = Date.now,
    private readonly max = ALERT_QUEUE_MAX,
  ) {}

  /** Queues `item`; false (counted) when the queue is full. Never throws, never waits. */
  push(item: T): boolean {
    if (this.waiting.length >= this.max) {
      this.dropped++;
      return false;
    }
    this.waiting.push(item);
    if (!this.busy) {
      this.busy = true;
      setImmediate(() => void this.drain());
    }
    return true;
  }

  /** Sends `item` now, outside the queue (the "Send a test" button); counted like any other. */
  async sendNow(item: T): Promise<void> {
    try {
      await this.send(item);
      this.succeeded();
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  status(): AlertTargetStatus {
    return {
      sent: this.sent,
      failed: this.failed,
      dropped: this.dropped,
      lastError: this.lastError,
      lastSentAt: this.lastSentAt,
      lastErrorAt: this.lastErrorAt,
    };
  }

  /** Forgets what waits (the target was switched off or changed); counts stay. */
  clear(): void {
    this.waiting.length = 0;
  }

  /** Resolves once nothing waits or is being sent. */
  async idle(): Promise<void> {
    while (this.busy) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
        try {
          await this.send(item);
          this.succeeded();
        } catch (err) {
          this.fail(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private succeeded(): void {
    this.sent++;
    this.lastSentAt = this.now();
    this.lastError = '';
  }

  private fail(err: unknown): void {
    this.failed++;
    this.lastErrorAt = this.now();
    this.lastError = err instanceof Error ? err.message : String(err);
  }
}
