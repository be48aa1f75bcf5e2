// Small statistics for the bench: medians across rounds, percentiles of per-query latencies.

/** Median of the finite numbers in `values`; NaN when there are none. */
export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when it is empty. */
export function percentileSorted(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Largest finite value, or NaN. */
export function max(values) {
  const xs = values.filter((v) => Number.isFinite(v));
  return xs.length ? Math.max(...xs) : NaN;
}
