/**
 * AdGuard Home's query log, querylog.json and its rotated querylog.json.1: one JSON object per line with the
 * fields of AdGuard Home's logEntry (internal/querylog/entry.go): T (RFC 3339 time with nanoseconds and the
 * zone offset), QH, QT, QC, CP (client protocol: "" plain DNS, "doh", "dot", "doq", "dnscrypt"), IP, CID,
 * Upstream, Answer (the response message, base64), OrigAnswer, Result (IsFiltered, Reason, Rules...),
 * Elapsed (nanoseconds), Cached.
 */
import { offsetOfIso } from '../../capture/local-time';
import { questionEnd, rcodeName, rcodeOf, summarizeAnswers } from '../../dns/wire';
import type { HashedReader } from '../source-file';
import { textLines } from '../source-file';
import {
  damagedAfter,
  ImportError,
  NO_WIRE,
  type FormatSpec,
  type ImportRecord,
  type ReadContext,
  type SourceInput,
} from '../types';

const LABEL = 'AdGuard Home query log';

/** Protocols AdGuard Home carries over TCP (DNS-over-HTTPS/TLS; DNSCrypt is mostly UDP, DoQ is QUIC). */
const TCP_PROTOCOLS = new Set(['doh', 'dot']);

function fail(input: SourceInput, line: number, reason: string): never {
  throw new ImportError(`${LABEL} ${input.name}`, `line ${line}`, reason);
}

/** The fields of a log line that a record needs. */
interface Fields {
  readonly T: unknown;
  readonly QH: unknown;
  readonly QT: unknown;
  readonly IP: unknown;
  readonly CP: unknown;
  readonly Upstream: unknown;
  readonly Answer: unknown;
  readonly Elapsed: unknown;
  readonly Cached: unknown;
  readonly Result: unknown;
}

/** The value of the decimal digit at `i` of `s`. */
function digit(s: string, i: number): number {
  return s.charCodeAt(i) - 48;
}

/** RFC 3339 times, turned into epoch ms once per second and zone (most lines share them). */
class Times {
  /** The second (the first 19 characters) and the zone after the fraction of the last time parsed anew. */
  private head = '';
  private tail = '';
  private base = Number.NaN;
  private zone: number | null = null;

  parse(T: string): { ts: number; offset: number | null } {
    // "2020-11-25T18:55:56.519796+03:00": 19 characters of second, a fraction, a zone.
    let z = 19;
    if (T.charCodeAt(19) === 46)
      for (z = 20; z < T.length && T.charCodeAt(z) >= 48 && T.charCodeAt(z) <= 57; z++);
    // The same second and zone as the line before (most lines): compared in place, no key string built.
    const same =
      this.head.length === 19 &&
      T.length - z === this.tail.length &&
      T.startsWith(this.head) &&
      T.startsWith(this.tail, z);
    if (!same) {
      this.head = T.slice(0, 19);
      this.tail = T.slice(z);
      const key = this.head + this.tail;
      this.base = Date.parse(key);
      this.zone = offsetOfIso(key);
    }
    if (!Number.isFinite(this.base)) return { ts: Date.parse(T), offset: offsetOfIso(T) };
    // The first three digits of the fraction, as ms ("5" is 500).
    const ms =
      z > 20 ? digit(T, 20) * 100 + (z > 21 ? digit(T, 21) * 10 : 0) + (z > 22 ? digit(T, 22) : 0) : 0;
    return { ts: this.base + ms, offset: this.zone };
  }
}

const defaultTimes = new Times();

/** The record of one log line; throws ImportError naming the line when it is not one. */
export function adguardRecord(
  text: string,
  input: SourceInput,
  line: number,
  times = defaultTimes,
): ImportRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fail(input, line, 'not a JSON object');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(input, line, 'not a JSON object');
  const o = v as Fields;
  const { T, QH, QT, IP } = o;
  if (typeof T !== 'string') fail(input, line, 'no time (T)');
  if (typeof QH !== 'string' || QH === '') fail(input, line, 'no question name (QH)');
  const { ts, offset } = times.parse(T);
  if (!Number.isFinite(ts)) fail(input, line, `the time "${T.slice(0, 40)}" is not RFC 3339`);
  let name = QH.toLowerCase();
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  let rcode = '';
  let answers = '';
  let response: Uint8Array | null = null;
  if (typeof o.Answer === 'string' && o.Answer !== '') {
    const msg = Buffer.from(o.Answer, 'base64');
    if (msg.length < 12) fail(input, line, 'the Answer is not a DNS message');
    response = msg;
    rcode = rcodeName(rcodeOf(msg));
    const end = questionEnd(msg);
    if (end > 0) answers = summarizeAnswers(msg, end);
  }
  const result = o.Result as Record<string, unknown> | undefined;
  const filtered = typeof result === 'object' && result !== null && result.IsFiltered === true;
  const elapsed = typeof o.Elapsed === 'number' && o.Elapsed > 0 ? o.Elapsed : 0;
  const upstream = typeof o.Upstream === 'string' ? o.Upstream : o.Cached === true ? 'cache' : '';
  return {
    ts: Math.floor(ts),
    offset: offset ?? undefined,
    // AdGuard Home logs the address (masked when it anonymizes clients); an entry without one keeps "".
    client: typeof IP === 'string' ? IP : '',
    clientPort: 0,
    transport: typeof o.CP === 'string' && TCP_PROTOCOLS.has(o.CP) ? 'tcp' : 'udp',
    qname: name,
    qtype: typeof QT === 'string' ? QT : '',
    rcode,
    answers,
    // Elapsed is a Go time.Duration: nanoseconds.
    latencyMs: Math.round(elapsed / 1000) / 1000,
    upstream,
    size: response?.length ?? 0,
    error: filtered ? 'blocked' : '',
    watchRule: '',
    queryWire: NO_WIRE,
    responseWire: response,
  };
}

async function* readAdguard(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const input = reader.input;
  const times = new Times();
  for await (const batch of textLines(reader, (n) => ctx.progress(n))) {
    const out: ImportRecord[] = [];
    try {
      for (let i = 0; i < batch.lines.length; i++) {
        const text = batch.lines[i]!;
        if (text.trim() === '') continue;
        out.push(adguardRecord(text, input, batch.first + i, times));
      }
    } catch (err) {
      damagedAfter(err, out);
    }
    yield out;
  }
}

export const adguard: FormatSpec = {
  id: 'adguard',
  label: LABEL,
  wire: false,
  cannotTell: [
    'AdGuard Home keeps no query message, only the response it sent (packed again), so the pcap and dnstap exports leave these queries out.',
    'It keeps no client port, and does not tell plain DNS over UDP from TCP (shown as UDP); DNS-over-HTTPS and -TLS are shown as TCP.',
    'The client is the address AdGuard Home logged: masked when it anonymizes client addresses, and a ClientID is not kept as a device.',
  ],
  sniff: (head) => {
    const text = head.toString('utf8', 0, Math.min(head.length, 4096)).trimStart();
    return text.startsWith('{') && /"QH"\s*:/.test(text) && /"T"\s*:/.test(text);
  },
  read: readAdguard,
  chunked: true,
};
