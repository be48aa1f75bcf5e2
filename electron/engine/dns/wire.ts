/**
 * Minimal DNS wire-format helpers for the hot path. The forwarder passes bytes through untouched except for
 * the ID, so it only reads what it must (header, question, EDNS size, a short answer summary) instead of
 * decoding whole messages. Every function here is total: bad input yields null or a safe default, never a throw.
 */

/** RFC 1035 §4.1.1: fixed header size. */
export const HEADER_SIZE = 12;
/** RFC 1035 §2.3.4: UDP messages without EDNS are limited to 512 bytes. */
export const CLASSIC_UDP_SIZE = 512;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  17: 'RP',
  18: 'AFSDB',
  24: 'SIG',
  25: 'KEY',
  28: 'AAAA',
  29: 'LOC',
  33: 'SRV',
  35: 'NAPTR',
  36: 'KX',
  37: 'CERT',
  39: 'DNAME',
  41: 'OPT',
  42: 'APL',
  43: 'DS',
  44: 'SSHFP',
  45: 'IPSECKEY',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  53: 'SMIMEA',
  55: 'HIP',
  59: 'CDS',
  60: 'CDNSKEY',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY',
  250: 'TSIG',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
  256: 'URI',
  257: 'CAA',
};

/** Type mnemonic per RFC 3597 §5 for unknown types ("TYPE65280"). */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export interface Question {
  /** Presentation form, lowercase, no trailing dot, "." for the root; unusual bytes escaped as in RFC 4343 §2.1. */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
  /** Offset just past the question (start of the answer section). */
  readonly end: number;
}

export function readId(msg: Uint8Array): number {
  return (msg[0]! << 8) | msg[1]!;
}

export function writeId(msg: Uint8Array, id: number): void {
  msg[0] = (id >> 8) & 0xff;
  msg[1] = id & 0xff;
}

export function isResponse(msg: Uint8Array): boolean {
  return (msg[2]! & 0x80) !== 0;
}

export function opcode(msg: Uint8Array): number {
  return (msg[2]! >> 3) & 0x0f;
}

export function isTruncated(msg: Uint8Array): boolean {
  return (msg[2]! & 0x02) !== 0;
}

export function rcodeOf(msg: Uint8Array): number {
  return msg[3]! & 0x0f;
}

function u16(msg: Uint8Array, off: number): number {
  return (msg[off]! << 8) | msg[off + 1]!;
}

export function qdcount(msg: Uint8Array): number {
  return u16(msg, 4);
}

/**
 * Reads a possibly compressed name (RFC 1035 §4.1.4) starting at `off`.
 * Returns the presentation string and the offset after the name in the original position, or null when
 * the name is malformed (out of bounds, pointer loop, over 255 bytes).
 */
export function readName(msg: Uint8Array, off: number): { name: string; end: number } | null {
  let out = '';
  let pos = off;
  let end = -1;
  let jumps = 0;
  let wireLen = 0;
  for (;;) {
    if (pos >= msg.length) return null;
    const len = msg[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return null;
      if (end < 0) end = pos + 2;
      // A pointer may only point backwards; a bounded jump count stops loops.
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= pos || ++jumps > 32) return null;
      pos = target;
      continue;
    }
    if (kind !== 0) return null; // RFC 6891 §5: extended label types are obsolete.
    const labelEnd = pos + 1 + len;
    if (labelEnd > msg.length) return null;
    wireLen += len + 1;
    if (wireLen > 255) return null;
    if (out.length > 0) out += '.';
    for (let i = pos + 1; i < labelEnd; i++) {
      const c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) out += String.fromCharCode(c + 32);
      else if (c === 0x2e || c === 0x5c) out += c === 0x2e ? '\\.' : '\\\\';
      else if (c > 0x20 && c < 0x7f) out += String.fromCharCode(c);
      else out += '\\' + String(c).padStart(3, '0');
    }
    pos = labelEnd;
  }
  return { name: out.length === 0 ? '.' : out, end };
}

/** Reads the first question (RFC 1035 §4.1.2); null when malformed or absent. */
export function readQuestion(msg: Uint8Array): Question | null {
  if (msg.length < HEADER_SIZE || qdcount(msg) < 1) return null;
  const n = readName(msg, HEADER_SIZE);
  if (!n || n.end + 4 > msg.length) return null;
  return { name: n.name, type: u16(msg, n.end), qclass: u16(msg, n.end + 2), end: n.end + 4 };
}

/** Offset just past the first question, without decoding the name; -1 when there is none or it is cut short. */
export function questionEnd(msg: Uint8Array): number {
  if (msg.length < HEADER_SIZE || qdcount(msg) < 1) return -1;
  const n = skipName(msg, HEADER_SIZE);
  return n < 0 || n + 4 > msg.length ? -1 : n + 4;
}

/** Offset after the resource record at `off`, or -1 when it does not fit. */
function skipRecord(msg: Uint8Array, off: number): number {
  const n = skipName(msg, off);
  if (n < 0 || n + 10 > msg.length) return -1;
  const end = n + 10 + u16(msg, n + 8);
  return end > msg.length ? -1 : end;
}

function skipName(msg: Uint8Array, off: number): number {
  let pos = off;
  while (pos < msg.length) {
    const len = msg[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    pos += len + 1;
  }
  return -1;
}

/**
 * The UDP payload size advertised in the message's EDNS OPT record (RFC 6891 §6.1.2: the OPT class),
 * or 0 when there is no OPT record or the sections before it do not parse.
 */
export function optUdpSize(msg: Uint8Array, questionEnd: number): number {
  const before = u16(msg, 6) + u16(msg, 8);
  const ar = u16(msg, 10);
  let pos = questionEnd;
  for (let i = 0; i < before + ar; i++) {
    const nameEnd = skipName(msg, pos);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return 0;
    if (i >= before && u16(msg, nameEnd) === 41) return u16(msg, nameEnd + 2);
    pos = skipRecord(msg, pos);
    if (pos < 0) return 0;
  }
  return 0;
}

/** The largest UDP response a querier accepts: its EDNS size, never below 512 (RFC 6891 §6.2.5). */
export function clientUdpSize(msg: Uint8Array, questionEnd: number): number {
  return Math.max(CLASSIC_UDP_SIZE, optUdpSize(msg, questionEnd));
}

const OUR_OPT = new Uint8Array([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]); // root, OPT, 1232 bytes, no options

/**
 * Builds an answer of our own to `query` (whose question ends at `questionEnd`): same ID and question,
 * QR and RA set, RD copied, the given rcode, an OPT record when the query had one.
 */
export function makeErrorResponse(query: Uint8Array, questionEnd: number, rcode: number): Buffer {
  const withOpt = optUdpSize(query, questionEnd) > 0;
  const out = Buffer.alloc(questionEnd + (withOpt ? OUR_OPT.length : 0));
  out.set(query.subarray(0, questionEnd), 0);
  out[2] = 0x80 | (query[2]! & 0x79); // QR, keep opcode and RD; clear AA and TC
  out[3] = 0x80 | (rcode & 0x0f); // RA
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(withOpt ? 1 : 0, 10);
  if (withOpt) out.set(OUR_OPT, questionEnd);
  return out;
}

/**
 * A truncated copy of `response` for a UDP client that cannot take it whole (RFC 1035 §4.2.1, RFC 7766 §5):
 * header with TC set and the question only, so the client retries over TCP.
 */
export function makeTruncated(response: Uint8Array): Buffer {
  const q = readQuestion(response);
  const end = q ? q.end : HEADER_SIZE;
  const out = Buffer.alloc(end);
  out.set(response.subarray(0, end), 0);
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(q ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

/** True when both messages carry the same first question (name compared case-insensitively, RFC 4343). */
export function sameQuestion(a: Question, b: Question): boolean {
  return a.type === b.type && a.qclass === b.qclass && a.name === b.name;
}

const MAX_SUMMARY_RECORDS = 8;
const MAX_SUMMARY_CHARS = 300;

/** A short, single-line summary of the answer section ("192.0.2.1, 2001:db8::1", "cname.example.", …). */
export function summarizeAnswers(msg: Uint8Array, questionEnd: number): string {
  const an = u16(msg, 6);
  if (an === 0) return '';
  let pos = questionEnd;
  const parts: string[] = [];
  let chars = 0;
  for (let i = 0; i < an; i++) {
    const nameEnd = skipName(msg, pos);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) break;
    const type = u16(msg, nameEnd);
    const rdlen = u16(msg, nameEnd + 8);
    const rd = nameEnd + 10;
    if (rd + rdlen > msg.length) break;
    if (parts.length >= MAX_SUMMARY_RECORDS || chars > MAX_SUMMARY_CHARS) {
      parts.push(`+${an - i} more`);
      break;
    }
    const text = rdataText(msg, type, rd, rdlen);
    // One record (most answers): no list to join.
    if (an === 1) return clipSummary(text);
    parts.push(text);
    chars += text.length + 2;
    pos = rd + rdlen;
  }
  return clipSummary(parts.join(', '));
}

function clipSummary(text: string): string {
  return text.length > MAX_SUMMARY_CHARS + 40 ? text.slice(0, MAX_SUMMARY_CHARS) + '…' : text;
}

/** A records' texts by their address: answers repeat a few addresses, each text was built again. */
const A_TEXTS = new Map<number, string>();
const A_TEXTS_MAX = 4096;

function aText(msg: Uint8Array, rd: number): string {
  const key = msg[rd]! * 0x1000000 + ((msg[rd + 1]! << 16) | (msg[rd + 2]! << 8) | msg[rd + 3]!);
  let text = A_TEXTS.get(key);
  if (text === undefined) {
    text = `${msg[rd]}.${msg[rd + 1]}.${msg[rd + 2]}.${msg[rd + 3]}`;
    if (A_TEXTS.size >= A_TEXTS_MAX) A_TEXTS.clear();
    A_TEXTS.set(key, text);
  }
  return text;
}

function rdataText(msg: Uint8Array, type: number, rd: number, len: number): string {
  switch (type) {
    case 1:
      return len === 4 ? aText(msg, rd) : 'A?';
    case 28:
      return len === 16 ? ipv6Text(msg, rd) : 'AAAA?';
    case 2:
    case 5:
    case 12:
    case 39: {
      const n = readName(msg, rd);
      return n ? `${typeName(type)} ${n.name}` : `${typeName(type)}?`;
    }
    case 15: {
      const n = len > 2 ? readName(msg, rd + 2) : null;
      return n ? `MX ${u16(msg, rd)} ${n.name}` : 'MX?';
    }
    case 16:
      return `TXT ${txtText(msg, rd, len)}`;
    case 33: {
      const n = len > 6 ? readName(msg, rd + 6) : null;
      return n ? `SRV ${u16(msg, rd)} ${u16(msg, rd + 2)} ${u16(msg, rd + 4)} ${n.name}` : 'SRV?';
    }
    default:
      return `${typeName(type)} (${len} bytes)`;
  }
}

function txtText(msg: Uint8Array, rd: number, len: number): string {
  let out = '';
  let pos = rd;
  const end = rd + len;
  while (pos < end && out.length < 120) {
    const l = msg[pos]!;
    const stop = Math.min(end, pos + 1 + l);
    let s = '';
    for (let i = pos + 1; i < stop; i++) {
      const c = msg[i]!;
      s +=
        c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c
          ? String.fromCharCode(c)
          : `\\${String(c).padStart(3, '0')}`;
    }
    out += (out ? ' ' : '') + `"${s}"`;
    pos = stop;
  }
  return out.length > 120 ? out.slice(0, 120) + '…' : out;
}

/** RFC 5952 §4 text form: lowercase hex, leading zeros dropped, longest run of 2+ zero groups as "::". */
export function ipv6Text(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * A "null" answer to an A or AAAA query (0.0.0.0 or ::, TTL 60), as ad blockers give, so clients fail fast
 * without an NXDOMAIN that some retry harder on. Other types get NOERROR with no answer (NODATA).
 */
export function makeNullAnswer(query: Uint8Array, question: Question): Buffer {
  const head = makeErrorResponse(query, question.end, RCODE.NOERROR);
  const rdlen = question.type === 1 ? 4 : question.type === 28 ? 16 : -1;
  if (rdlen < 0) return head;
  // RFC 1035 §4.1.3: the owner name is a pointer to the question name at offset 12.
  const rr = Buffer.alloc(12 + rdlen);
  rr.writeUInt16BE(0xc000 | HEADER_SIZE, 0);
  rr.writeUInt16BE(question.type, 2);
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(rdlen, 10);
  const out = Buffer.concat([head.subarray(0, question.end), rr, head.subarray(question.end)]);
  out.writeUInt16BE(1, 6); // ANCOUNT
  return out;
}
