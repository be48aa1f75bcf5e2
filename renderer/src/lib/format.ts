/** Display formatting shared by the components; every function is pure and never throws. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Formats a count with the locale's thousands separators ("80,123"). */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? integer.format(Math.round(n)) : '–';
}

/** Formats a rate with one decimal below 100 and none above ("0.9", "1,204"). */
export function formatRate(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return Math.abs(n) < 100 ? oneDecimal.format(n) : integer.format(Math.round(n));
}

/** Formats a share between 0 and 1 as a percentage ("42.5 %", "<0.1 %"). */
export function formatShare(part: number, whole: number): string {
  if (!(whole > 0) || !Number.isFinite(part)) return '–';
  const pct = (part / whole) * 100;
  if (pct > 0 && pct < 0.1) return '<0.1 %';
  return `${oneDecimal.format(pct)} %`;
}

/** Formats a latency in milliseconds ("0.4 ms", "12 ms", "1.2 s"). */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms >= 1000) return `${oneDecimal.format(ms / 1000)} s`;
  if (ms >= 10) return `${integer.format(Math.round(ms))} ms`;
  return `${oneDecimal.format(ms)} ms`;
}

/** Formats a duration compactly: "42 s", "5 min 03 s", "2 h 07 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time with milliseconds ("14:03:09.123"), for the query log. */
export function formatClock(ts: number): string {
  const d = new Date(ts);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Local hour and minute ("14:03"), for chart ticks. */
export function formatMinute(ts: number): string {
  const d = new Date(ts);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Local date and minute ("2026-11-22 14:03"), for chart tooltips and long ranges. */
export function formatDateMinute(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatMinute(ts)}`;
}

/** An address with its port, bracketing IPv6 ("[::1]:53"). */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
