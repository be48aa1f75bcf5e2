/**
 * The dashboard's watchlist state: the engine's latest report, the rules, the user's router model, the
 * per-minute watched counts and the alerts shown as toasts. Pure: time is passed in; the Dashboard feeds it.
 */
import type { WatchAlert, WatchSettings } from '@shared/watch/messages';
import type { WatchReport } from '@shared/watch/report';
import type { ActiveRule } from '@shared/watch/rules';
import { WatchBuckets } from './watch-buckets';

/** How long an alert stays on screen unless dismissed. */
export const TOAST_MS = 30_000;
/** Toasts shown at most; older ones go first. */
export const MAX_TOASTS = 3;

export interface Toast {
  readonly id: number;
  readonly alert: WatchAlert;
  /** Local epoch ms when it appeared. */
  readonly shownAt: number;
}

/** An immutable picture of the watchlist state; a new object after every change. */
export interface WatchView {
  readonly report: WatchReport | null;
  /** Every rule, built-in first, as the engine applies them. */
  readonly rules: readonly ActiveRule[];
  readonly rulesById: ReadonlyMap<string, ActiveRule>;
  readonly settings: WatchSettings | null;
  readonly toasts: readonly Toast[];
  /** The last problem loading or changing the watchlist, "" when none. */
  readonly error: string;
  /** Bumped whenever the per-minute counts change. */
  readonly bucketsVersion: number;
}

export class WatchStore {
  readonly buckets = new WatchBuckets();
  private report: WatchReport | null = null;
  private rules: readonly ActiveRule[] = [];
  private rulesById: ReadonlyMap<string, ActiveRule> = new Map();
  private settings: WatchSettings | null = null;
  private toasts: Toast[] = [];
  private error = '';
  private nextToast = 1;
  private view: WatchView;
  private dirty = false;

  constructor() {
    this.view = this.build();
  }

  setReport(report: WatchReport): void {
    this.report = report;
    this.dirty = true;
  }

  setRules(rules: readonly ActiveRule[]): void {
    this.rules = rules;
    this.rulesById = new Map(rules.map((r) => [r.id, r]));
    this.dirty = true;
  }

  /** Puts the engine's answer for one rule in place (or at the end for a new one). */
  upsertRule(rule: ActiveRule): void {
    const i = this.rules.findIndex((r) => r.id === rule.id);
    this.setRules(i >= 0 ? this.rules.map((r) => (r.id === rule.id ? rule : r)) : [...this.rules, rule]);
  }

  setSettings(settings: WatchSettings): void {
    this.settings = settings;
    this.dirty = true;
  }

  setError(message: string): void {
    if (message === this.error) return;
    this.error = message;
    this.dirty = true;
  }

  /**
   * Shows `alert` as a toast from `now` (local ms); the same rule and router again replaces the old one.
   * A connectivity check is not alarming: it shows in the banner and the panel only. The alert carries its
   * category, so this holds even before the rules have loaded (a page that is still connecting).
   */
  addAlert(alert: WatchAlert, now: number): void {
    if (alert.category === 'connectivity') return;
    const rest = this.toasts.filter((t) => t.alert.rule !== alert.rule || t.alert.address !== alert.address);
    this.toasts = [...rest, { id: this.nextToast++, alert, shownAt: now }].slice(-MAX_TOASTS);
    this.dirty = true;
  }

  dismiss(id: number): void {
    const before = this.toasts.length;
    this.toasts = this.toasts.filter((t) => t.id !== id);
    if (this.toasts.length !== before) this.dirty = true;
  }

  /** Removes toasts older than TOAST_MS; true when any went. */
  expire(now: number): boolean {
    const keep = this.toasts.filter((t) => now - t.shownAt < TOAST_MS);
    if (keep.length === this.toasts.length) return false;
    this.toasts = keep;
    this.dirty = true;
    return true;
  }

  /** Marks the view changed after the buckets changed. */
  touchBuckets(): void {
    this.dirty = true;
  }

  /** The current view; rebuilt once after changes. */
  getView(): WatchView {
    if (this.dirty) {
      this.dirty = false;
      this.view = this.build();
    }
    return this.view;
  }

  private build(): WatchView {
    return {
      report: this.report,
      rules: this.rules,
      rulesById: this.rulesById,
      settings: this.settings,
      toasts: this.toasts,
      error: this.error,
      bucketsVersion: this.buckets.version,
    };
  }
}
