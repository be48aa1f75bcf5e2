import type { EngineWarning, WarningCode } from '@shared/events';
import type { Clock } from '../clock';
import type { EngineEmitter } from './events';

/** Warnings of one kind reach listeners at most this often; the count keeps growing in between. */
const WARNING_REPEAT_MS = 10_000;

/** The latest warning per code, for the status, and the throttled `warning` event. */
export class Warnings {
  private readonly latest = new Map<WarningCode, EngineWarning & { notified: number }>();

  constructor(
    private readonly events: EngineEmitter,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Notes a warning; listeners hear of it unless the same message was announced under 10 s ago. Never throws. */
  readonly warn = (code: WarningCode, message: string): void => {
    const now = this.clock.now();
    const prev = this.latest.get(code);
    const notify = !prev || prev.message !== message || now - prev.notified >= WARNING_REPEAT_MS;
    const w = {
      code,
      message,
      ts: now,
      count: (prev?.count ?? 0) + 1,
      notified: notify ? now : (prev?.notified ?? now),
    };
    this.latest.set(code, w);
    if (!notify) return;
    const { notified: _n, ...warning } = w;
    this.events.emit('warning', warning);
  };

  /** The latest warning of each code, as the status shows them. */
  list(): EngineWarning[] {
    return [...this.latest.values()].map(({ notified: _n, ...w }) => w);
  }
}
