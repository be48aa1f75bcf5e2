import { randomBytes } from 'node:crypto';

/** What a capture id (and so its folder name) may contain; matches the captureId filter schema. */
export const CAPTURE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A capture id that sorts by start time: UTC `YYYYMMDD-HHMMSS-xxxx` with 4 random hex digits, e.g.
 * `20261123-014501-ab12`. UTC, because local time repeats an hour each autumn.
 */
export function newCaptureId(now: number, suffix = randomBytes(2).toString('hex')): string {
  const d = new Date(Number.isFinite(now) ? now : 0);
  const date = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  return `${date}-${time}-${suffix}`;
}
