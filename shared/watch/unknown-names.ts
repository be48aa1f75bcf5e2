/**
 * The router's names that no rule explains: counted with first and last time, so a user can see what else
 * the router asks and send the names in ("suggest a rule"). Local names and reverse lookups are left out:
 * they name devices and addresses, not services. Pure and bounded.
 */

export interface UnknownName {
  readonly name: string;
  readonly count: number;
  /** Epoch ms. */
  readonly firstTs: number;
  readonly lastTs: number;
}

/** Distinct names kept at most; later new names are counted in `dropped`, never stored. */
export const MAX_UNKNOWN_NAMES = 5000;

const LOCAL = /(?:^|\.)(?:arpa|local|lan|home|internal|localdomain|localhost|test|invalid)$/;

/** True for a name worth suggesting: a public, multi-label name (not a reverse lookup or a local name). */
export function isSuggestable(name: string): boolean {
  return name.includes('.') && !LOCAL.test(name);
}

interface Mutable {
  count: number;
  firstTs: number;
  lastTs: number;
}

export class UnknownNames {
  private readonly names = new Map<string, Mutable>();
  dropped = 0;

  /** Notes one lookup of `name` (lowercase, no trailing dot) at `ts`; local names are ignored. */
  add(name: string, ts: number): void {
    const n = this.names.get(name);
    if (n) {
      n.count++;
      if (ts < n.firstTs) n.firstTs = ts;
      if (ts > n.lastTs) n.lastTs = ts;
      return;
    }
    if (!isSuggestable(name)) return;
    if (this.names.size >= MAX_UNKNOWN_NAMES) {
      this.dropped++;
      return;
    }
    this.names.set(name, { count: 1, firstTs: ts, lastTs: ts });
  }

  /** The most asked names first (then by name), at most `limit`. */
  list(limit = 100): UnknownName[] {
    return [...this.names]
      .map(([name, n]) => ({ name, ...n }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, limit);
  }
}

/**
 * The "suggest a rule" export: names and counts only, as JSON text. No address, no device name, no time;
 * `routerModel` only if the user gave one. Local names are dropped again in case the list came from elsewhere.
 */
export function suggestRuleExport(names: readonly UnknownName[], routerModel = ''): string {
  return `${JSON.stringify(
    {
      about: 'DNS Witness: names a router asked that no watchlist rule explains (names and counts only).',
      router_model: routerModel,
      names: names.filter((n) => isSuggestable(n.name)).map((n) => ({ name: n.name, count: n.count })),
    },
    null,
    2,
  )}\n`;
}
