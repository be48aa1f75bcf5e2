import type { ImportProgress } from '@shared/import';
import type { EngineStatus, EngineWarning } from '@shared/events';
import type { ThemeSetting } from '@shared/theme';
import type { WatchAlert } from '@shared/watch/messages';
import type { WatchReport } from '@shared/watch/report';
import type { ActiveRule } from '@shared/watch/rules';

/** A listener per event name, typed by `E` (event name → payload). */
export class Emitter<E extends object> {
  private readonly listeners: { [K in keyof E]?: Set<(value: E[K]) => void> } = {};

  /** Adds `listener`; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, listener: (value: E[K]) => void): () => void {
    const set = (this.listeners[event] ??= new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether anyone listens, so a caller can skip building a payload nobody receives. */
  has(event: keyof E): boolean {
    return (this.listeners[event]?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`. Never throws: a failing listener must not stop the engine that emits. */
  emit<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.listeners[event];
    if (!set) return;
    for (const l of set) {
      try {
        l(value);
      } catch {
        // Listeners never break the engine (a warning may come from the forwarder's hot path).
      }
    }
  }
}

/** What the engine pushes to its transports. */
export interface EngineEvents {
  status: EngineStatus;
  warning: EngineWarning;
  watchReport: WatchReport;
  watchAlert: WatchAlert;
  theme: ThemeSetting;
  /** The watchlist's rules changed (a switch, a block, a rule saved or removed). */
  rules: readonly ActiveRule[];
  importProgress: ImportProgress;
}

export type EngineEmitter = Emitter<EngineEvents>;
