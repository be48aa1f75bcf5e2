import { app } from 'electron';
import type { EngineStatus } from '@shared/events';

/** running → (asking →) closing → done; a "Keep Running" answer goes back to running. */
export type QuitState = 'running' | 'asking' | 'closing' | 'done';

export interface QuitGuardOptions {
  /** The engine's status, or null before it is open (then the app quits at once). */
  readonly status: () => Pick<EngineStatus, 'capture'> | null;
  /**
   * Asks the user whether to quit during a capture (quit-reminder.ts); resolves true to quit. `signal` aborts
   * when the quit is forced meanwhile, and the question should then close.
   */
  readonly confirm: (status: Pick<EngineStatus, 'capture'>, signal: AbortSignal) => Promise<boolean>;
  /** Closes the engine (flushing the journal); must settle, even if the engine hangs. */
  readonly close: () => Promise<void>;
  /** The user chose to keep running: make sure there is a window to come back to. */
  readonly kept: () => void;
}

/**
 * Holds every quit (menu, tray, Cmd+Q, last window closed) until the user confirmed a quit during a capture
 * and the engine is closed, then lets it through. Quits forced by a signal or the OS shutting down skip the
 * question. Register with `attach()` once, before the app is ready.
 */
export class QuitGuard {
  private current: QuitState = 'running';
  private forced = false;
  private question: AbortController | null = null;

  constructor(private readonly opts: QuitGuardOptions) {}

  get state(): QuitState {
    return this.current;
  }

  /** True once the quit is decided: windows then really close instead of hiding in the tray. */
  get quitting(): boolean {
    return this.current === 'closing' || this.current === 'done';
  }

  /** The next quit asks nothing (Ctrl+C in the terminal, the OS logging out or shutting down). */
  force(): void {
    this.forced = true;
    this.question?.abort();
  }

  /** Quits now without the question; the engine is still closed first. */
  forceQuit(): void {
    this.force();
    app.quit();
  }

  attach(): void {
    app.on('before-quit', (event) => {
      if (this.current === 'done') return;
      const status = this.opts.status();
      if (status === null) {
        this.current = 'done';
        return;
      }
      event.preventDefault();
      if (this.current !== 'running') {
        // Asked again while the dialog is open or the engine closes (a second Ctrl+Q, say); a forced quit
        // has closed the question already.
        return;
      }
      void this.run(status);
    });
  }

  private async run(status: Pick<EngineStatus, 'capture'>): Promise<void> {
    if (!this.forced) {
      this.current = 'asking';
      this.question = new AbortController();
      let ok = true;
      try {
        ok = await this.opts.confirm(status, this.question.signal);
      } catch (error) {
        console.error('[main] could not ask before quitting:', error);
      } finally {
        this.question = null;
      }
      if (!ok && !this.forced) {
        this.current = 'running';
        this.opts.kept();
        return;
      }
    }
    this.current = 'closing';
    try {
      await this.opts.close();
    } finally {
      this.current = 'done';
      app.quit();
    }
  }
}
