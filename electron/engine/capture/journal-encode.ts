/**
 * The journal line of one exchange, encoded straight into the writer's buffer: the same bytes as
 * `Buffer.from(journalLine(...))`, without building the line, its base64 parts and its number texts as
 * strings first. This runs once per query; the string version made most of the capture's garbage, and now
 * lives in test-support.ts as the oracle journal-encode.test.ts compares these bytes with.
 */
import type { ExchangeRecord } from './types';

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) =>
  c.charCodeAt(0),
);
const EQ = 61;
const QUOTE = 34;

/** Bytes a string can take as a JSON string: 6 per UTF-16 unit (\uXXXX) plus the quotes. */
function jsonMax(s: string): number {
  return s.length * 6 + 2;
}

/**
 * An upper bound of the encoded size of a line (without the newline), so the caller can make room once.
 * Generous for the strings; exact enough for the wire bytes, which dominate.
 */
export function journalLineMaxBytes(time: string, captureId: string, rec: ExchangeRecord): number {
  return (
    256 +
    jsonMax(time) +
    jsonMax(captureId) +
    jsonMax(rec.client) +
    jsonMax(rec.qname) +
    jsonMax(rec.qtype) +
    jsonMax(rec.rcode) +
    jsonMax(rec.answers) +
    jsonMax(rec.upstream) +
    jsonMax(rec.error) +
    jsonMax(rec.watchRule) +
    jsonMax(rec.source ?? '') +
    Math.ceil(rec.queryWire.length / 3) * 4 +
    (rec.responseWire === null ? 0 : Math.ceil(rec.responseWire.length / 3) * 4)
  );
}

/** Writes ASCII text that needs no escaping (the line's keys and punctuation). */
function ascii(buf: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * A JSON string. Plain printable ASCII (host names, addresses, codes: nearly every value) is copied in one
 * pass; anything else goes through JSON.stringify and UTF-8, exactly as journalLine does.
 */
function jsonString(buf: Buffer, pos: number, s: string): number {
  const start = pos;
  buf[pos++] = QUOTE;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === QUOTE || c === 92 || c > 0x7e) return slowString(buf, start, s);
    buf[pos++] = c;
  }
  buf[pos++] = QUOTE;
  return pos;
}

// What journalLine escapes: JSON's specials and lone surrogates; other non-ASCII goes in as UTF-8.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function slowString(buf: Buffer, pos: number, s: string): number {
  const text = NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
  return pos + buf.write(text, pos, 'utf8');
}

/** Writes a whole number 0 ≤ n < 2^31 in decimal (integer arithmetic only). */
function smallInt(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n && digits < 10; p *= 10) digits++;
  let end = pos + digits;
  do {
    const q = (n / 10) | 0;
    buf[--end] = 48 + n - q * 10;
    n = q;
  } while (n > 0);
  return pos + digits;
}

/** A JSON number as String(n) writes it, at `pos`; returns the position after it. */
export function encodeJsonNumber(buf: Buffer, pos: number, n: number): number {
  return jsonNumber(buf, pos, n);
}

/**
 * A number of whole thousandths (a latency in ms rounded to the µs: `Math.round(x) / 1000`) as String(n)
 * writes it, or -1 when `n` is not one. The double nearest to such a decimal of at most 12 digits prints as
 * that decimal without its trailing zeros (the shortest text that reads back as `n`), so no string is built.
 */
function thousandths(buf: Buffer, pos: number, n: number): number {
  if (!(n > -1e9 && n < 1e9)) return -1;
  const k = Math.round(n * 1000);
  if (k / 1000 !== n) return -1;
  let m = k;
  if (m < 0) {
    buf[pos++] = 45;
    m = -m;
  }
  const whole = Math.floor(m / 1000);
  let frac = m - whole * 1000;
  pos = smallInt(buf, pos, whole);
  if (frac === 0) return pos;
  buf[pos++] = 46; // .
  buf[pos++] = 48 + ((frac / 100) | 0);
  frac %= 100;
  if (frac === 0) return pos;
  buf[pos++] = 48 + ((frac / 10) | 0);
  frac %= 10;
  if (frac !== 0) buf[pos++] = 48 + frac;
  return pos;
}

/** A JSON number as String(n) writes it; whole numbers and thousandths without a string in between. */
function jsonNumber(buf: Buffer, pos: number, n: number): number {
  if (!Number.isFinite(n)) return ascii(buf, pos, 'null');
  if (!Number.isSafeInteger(n)) {
    const end = thousandths(buf, pos, n);
    return end >= 0 ? end : ascii(buf, pos, String(n));
  }
  if (n < 0) {
    buf[pos++] = 45;
    n = -n;
  }
  if (n < 2 ** 31) return smallInt(buf, pos, n);
  // Times in ms and large seqs: the high part, then the low 9 digits zero-padded, each in int arithmetic.
  const high = Math.floor(n / 1e9);
  const low = n - high * 1e9;
  pos = high < 2 ** 31 ? smallInt(buf, pos, high) : ascii(buf, pos, String(high));
  let end = pos + 9;
  let m = low;
  for (let i = 0; i < 9; i++) {
    const q = (m / 10) | 0;
    buf[--end] = 48 + m - q * 10;
    m = q;
  }
  return pos + 9;
}

/** Standard base64 with padding, as Buffer#toString('base64'). */
function base64(buf: Buffer, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  const whole = n - (n % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    buf[pos++] = B64[v >>> 18]!;
    buf[pos++] = B64[(v >>> 12) & 63]!;
    buf[pos++] = B64[(v >>> 6) & 63]!;
    buf[pos++] = B64[v & 63]!;
  }
  if (n - whole === 1) {
    const v = bytes[i]! << 16;
    buf[pos++] = B64[v >>> 18]!;
    buf[pos++] = B64[(v >>> 12) & 63]!;
    buf[pos++] = EQ;
    buf[pos++] = EQ;
  } else if (n - whole === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    buf[pos++] = B64[v >>> 18]!;
    buf[pos++] = B64[(v >>> 12) & 63]!;
    buf[pos++] = B64[(v >>> 6) & 63]!;
    buf[pos++] = EQ;
  }
  return pos;
}

/**
 * Encodes the journal line of `rec` at `pos` (no newline) and returns the position after it. `buf` must
 * have journalLineMaxBytes() bytes free from `pos`. The bytes equal `Buffer.from(journalLine(...))`.
 */
export function encodeJournalLine(
  buf: Buffer,
  pos: number,
  seq: number,
  time: string,
  captureId: string,
  rec: ExchangeRecord,
): number {
  pos = ascii(buf, pos, '{"seq":');
  pos = jsonNumber(buf, pos, seq);
  pos = ascii(buf, pos, ',"ts":');
  pos = jsonNumber(buf, pos, rec.ts);
  pos = ascii(buf, pos, ',"time":');
  pos = jsonString(buf, pos, time);
  pos = ascii(buf, pos, ',"captureId":');
  pos = jsonString(buf, pos, captureId);
  return encodeJournalLineRest(buf, pos, rec);
}

/**
 * The rest of `rec`'s journal line after its capture id, from `,"client":` to the closing brace: for an
 * encoder that writes the start of many lines of one capture itself (import/lines.ts). With the start
 * `{"seq":SEQ,"ts":TS,"time":TIME,"captureId":ID` (numbers as encodeJsonNumber writes them, strings as
 * JSON.stringify) the line is encodeJournalLine's, byte for byte.
 */
export function encodeJournalLineRest(buf: Buffer, pos: number, rec: ExchangeRecord): number {
  pos = ascii(buf, pos, ',"client":');
  pos = jsonString(buf, pos, rec.client);
  pos = ascii(buf, pos, ',"clientPort":');
  pos = jsonNumber(buf, pos, rec.clientPort);
  pos = ascii(
    buf,
    pos,
    rec.transport === 'tcp' ? ',"transport":"tcp","qname":' : ',"transport":"udp","qname":',
  );
  pos = jsonString(buf, pos, rec.qname);
  pos = ascii(buf, pos, ',"qtype":');
  pos = jsonString(buf, pos, rec.qtype);
  pos = ascii(buf, pos, ',"rcode":');
  pos = jsonString(buf, pos, rec.rcode);
  pos = ascii(buf, pos, ',"answers":');
  pos = jsonString(buf, pos, rec.answers);
  pos = ascii(buf, pos, ',"latencyMs":');
  // Latencies are fractional: String() keeps them exactly as journalLine writes them.
  pos = jsonNumber(buf, pos, rec.latencyMs);
  pos = ascii(buf, pos, ',"upstream":');
  pos = jsonString(buf, pos, rec.upstream);
  pos = ascii(buf, pos, ',"size":');
  pos = jsonNumber(buf, pos, rec.size);
  pos = ascii(buf, pos, ',"error":');
  pos = jsonString(buf, pos, rec.error);
  pos = ascii(buf, pos, ',"watchRule":');
  pos = jsonString(buf, pos, rec.watchRule);
  if (rec.source) {
    // Only observed exchanges carry a source; lines without one read as forwarded, as every older journal.
    pos = ascii(buf, pos, ',"src":');
    pos = jsonString(buf, pos, rec.source);
  }
  // An imported record from a source that keeps no DNS messages (import/) has none: no "q", no "r".
  if (rec.queryWire.length > 0) {
    pos = ascii(buf, pos, ',"q":"');
    pos = base64(buf, pos, rec.queryWire);
    buf[pos++] = QUOTE;
  }
  if (rec.responseWire !== null) {
    pos = ascii(buf, pos, ',"r":"');
    pos = base64(buf, pos, rec.responseWire);
    buf[pos++] = QUOTE;
  }
  buf[pos++] = 125; // }
  return pos;
}
