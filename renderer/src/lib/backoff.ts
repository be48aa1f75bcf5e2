/** Reconnect delays: doubling from 500 ms up to 10 s, spread ±25 % so many pages do not reconnect in step. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, Math.min(attempt, 10)));
  return Math.round(base * (0.75 + 0.5 * random()));
}
