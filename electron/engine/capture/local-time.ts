import { isoLocal } from '@shared/time';

// Beyond this Date cannot represent the instant (plus a day of margin for the zone offset).
const MAX_DATE_MS = 8.64e15 - 86_400_000;

/**
 * Formats epoch ms exactly as isoLocal does, reusing the work for the last whole second it saw, so
 * formatting thousands of events per second costs a string concatenation each. Never throws: returns ""
 * for an instant Date cannot represent.
 */
export class LocalTimeFormatter {
  private second = Number.NaN;
  /** "YYYY-MM-DDTHH:MM:SS." of `second`. */
  private head = '';
  /** "Z" or "+hh:mm" of `second`; zone offsets change on whole seconds, so it holds for the whole second. */
  private tail = '';

  format(ms: number): string {
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return '';
    if (!Number.isInteger(ms)) return isoLocal(ms);
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const full = isoLocal(second * 1000);
      // Years outside 0000-9999 use the extended form; not worth caching.
      if (full[19] !== '.') return isoLocal(ms);
      this.head = full.slice(0, 20);
      this.tail = full.slice(23);
      this.second = second;
    }
    const frac = ms - this.second * 1000;
    return this.head + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + this.tail;
  }
}
