export const MINUTE_MS = 60_000;

/** Epoch ms of the start of the minute containing `ms`: how the engine and the dashboard bucket counts. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** Formats epoch ms as ISO 8601 in the machine's local zone with milliseconds and offset. Never throws. */
export function isoLocal(ms: number, offsetMinutes = -new Date(ms).getTimezoneOffset()): string {
  const shifted = new Date(ms + offsetMinutes * 60_000);
  const base = shifted.toISOString().slice(0, 23);
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${base}${sign}${hh}:${mm}`;
}
