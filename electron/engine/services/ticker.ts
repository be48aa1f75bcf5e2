import type { Clock } from '../clock';

/**
 * A once-every-`intervalMs` job that runs only while `needed()` says so: `sync()` after anything that may
 * change the answer starts or stops it, so an idle engine with nobody listening sets no timer at all.
 */
export class Ticker {
  private timer: unknown = null;

  constructor(
    private readonly clock: Pick<Clock, 'setInterval' | 'clearInterval'>,
    private readonly intervalMs: number,
    private readonly needed: () => boolean,
    private readonly tick: () => void,
  ) {}

  sync(): void {
    const needed = this.needed();
    if (needed && this.timer === null)
      this.timer = this.clock.setInterval(() => {
        this.tick();
        this.sync();
      }, this.intervalMs);
    else if (!needed && this.timer !== null) {
      this.clock.clearInterval(this.timer);
      this.timer = null;
    }
  }

  get running(): boolean {
    return this.timer !== null;
  }
}
