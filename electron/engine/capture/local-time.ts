import { isoLocal } from '@shared/time';

// Beyond this Date cannot represent the instant (plus a day of margin for the zone offset).
const MAX_DATE_MS = 8.64e15 - 86_400_000;

/** Minutes east of UTC that "+hh:mm" / "-hh:mm" / "Z" at the end of an ISO 8601 time says; null if none. */
export function offsetOfIso(time: string): number | null {
  if (time.endsWith('Z')) return 0;
  const m = /([+-])(\d\d):(\d\d)$/.exec(time);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

/** This machine's UTC offset in minutes at `ms` (east positive). */
export function localOffset(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}

/**
 * Formats epoch ms exactly as isoLocal does, reusing the work for the last whole second it saw, so
 * formatting thousands of events per second costs a string concatenation each. An event keeps the UTC
 * offset it was recorded with (pass it as `offset`), so a capture read back after a time-zone or
 * daylight-saving change still shows the clock the user saw. Never throws: returns "" for an instant
 * Date cannot represent.
 */
export class LocalTimeFormatter {
  private second = Number.NaN;
  private offset = Number.NaN;
  /** "YYYY-MM-DDTHH:MM:SS." of `second`. */
  private head = '';
  /** "Z" or "+hh:mm" of `second`; zone offsets change on whole seconds, so it holds for the whole second. */
  private tail = '';

  format(ms: number, offset?: number): string {
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return '';
    if (!Number.isInteger(ms)) return isoLocal(ms, offset);
    const second = Math.floor(ms / 1000);
    if (second !== this.second || (offset !== undefined && offset !== this.offset)) {
      const off = offset ?? localOffset(second * 1000);
      const full = isoLocal(second * 1000, off);
      // Years outside 0000-9999 use the extended form; not worth caching.
      if (full[19] !== '.') return isoLocal(ms, off);
      this.head = full.slice(0, 20);
      this.tail = full.slice(23);
      this.second = second;
      this.offset = off;
    }
    const frac = ms - this.second * 1000;
    return this.head + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + this.tail;
  }

  /** The UTC offset (minutes) of the last formatted time. */
  get lastOffset(): number {
    return this.offset;
  }
}
