export const MINUTE_MS = 60_000;

/** Epoch ms of the start of the minute containing `ms`: how the engine and the dashboard bucket counts. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export const HOUR_MS = 3_600_000;

/**
 * Epoch ms of the start of the local clock hour holding `ms`, in this machine's zone: 10:00 to 11:00 on the
 * wall clock also in zones whose offset is not whole hours (India +05:30, Nepal +05:45), where UTC hours
 * would run from 10:30 to 11:30.
 */
export function localHourOf(ms: number): number {
  const offset = -new Date(ms).getTimezoneOffset() * MINUTE_MS;
  return Math.floor((ms + offset) / HOUR_MS) * HOUR_MS - offset;
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
