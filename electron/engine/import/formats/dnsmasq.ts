/**
 * dnsmasq's query log (`log-queries`), from its own log file (`log-facility=FILE`) or from syslog: lines like
 * `Dec  2 13:42:25 dnsmasq[9696]: query[A] www.example.test from 127.0.0.1`, followed by `forwarded NAME to
 * ADDR#PORT` and `reply|cached|config|/etc/hosts NAME is VALUE` lines. With `log-queries=extra` each line also
 * carries the query's serial number and the client's address and port (`7 127.0.0.1/45089 query[A] …`), which
 * pairs the lines exactly; without it replies are paired with the oldest open query of the same name.
 */
import { typeName } from '../../dns/wire';
import { textLines } from '../source-file';
import type { HashedReader } from '../source-file';
import { NO_WIRE, type FormatSpec, type ImportRecord, type ReadContext } from '../types';

const LABEL = 'dnsmasq query log';

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** `Mmm dd hh:mm:ss [host] dnsmasq[pid]: BODY` (dnsmasq's own file, BSD syslog). */
const BSD = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (?:\S+ )?dnsmasq(?:\[\d+\])?: (.*)$/;
/** `2026-12-02T13:42:25.123456+01:00 host dnsmasq[pid]: BODY` (RFC 3339 syslog, as rsyslog writes it). */
const RFC3339 =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?:\S+ )?dnsmasq(?:\[\d+\])?: (.*)$/;
/** The body: optional `SERIAL ADDR/PORT ` (log-queries=extra), then `WHAT NAME from|to|is VALUE`. */
const BODY = /^(?:(\d+) ([0-9A-Fa-f.:]+)\/(\d+) )?(\S+) (\S+) (from|to|is) (.*)$/;

/** At most this many answers are written into a record's summary, as the live capture's summary does. */
const MAX_ANSWERS = 8;
/** Queries stay open for replies this long (log time), or while fewer than this many are open. */
const OPEN_MS = 30_000;
const MAX_OPEN = 50_000;

interface Open {
  readonly rec: ImportRecord;
  /** The log-queries=extra serial, "" without one. */
  readonly serial: string;
  answers: string[];
  replied: boolean;
}

/** Texts kept by `Kept`; past this many distinct ones it starts over. */
const KEPT_TEXTS = 65_536;

/**
 * The names and addresses of open queries, each kept once and as a flat string of its own (concatenated and
 * cut again: no view into the line). A piece of a line (what a RegExp match gives) may be a view into the
 * whole 64 KiB of text the line was decoded with: an open query holding one held that text too, and every
 * scavenge of the parse thread copied it again while the query waited (a fifth of its time went to garbage
 * collection).
 */
class Kept {
  private readonly texts = new Map<string, string>();

  get(text: string): string {
    let kept = this.texts.get(text);
    if (kept === undefined) {
      kept = ownText(text);
      if (this.texts.size >= KEPT_TEXTS) this.texts.clear();
      this.texts.set(kept, kept);
    }
    return kept;
  }
}

/** `text` as a flat string of its own (see Kept). */
function ownText(text: string): string {
  return ` ${text}`.slice(1);
}

/** "127.0.0.1#53" → "127.0.0.1:53", "::1#53" → "[::1]:53". */
export function serverText(v: string): string {
  const hash = v.lastIndexOf('#');
  if (hash < 0) return v;
  const host = v.slice(0, hash);
  return `${host.includes(':') ? `[${host}]` : host}:${v.slice(hash + 1)}`;
}

/** The year of each line: from --year, else the file's modification time (the last line's year at most). */
class YearOf {
  private year: number;
  private lastMonth = -1;

  constructor(
    private readonly fixed: number | undefined,
    private readonly mtimeMs: number,
  ) {
    this.year = fixed ?? new Date(mtimeMs).getFullYear();
  }

  /** Epoch ms of a syslog time without year, in this computer's zone. */
  time(month: number, day: number, h: number, m: number, s: number): number {
    // Lines run forward in time: a month before the previous line's is the next year (December → January).
    if (this.lastMonth >= 0 && month < this.lastMonth) this.year++;
    this.lastMonth = month;
    let t = new Date(this.year, month, day, h, m, s).getTime();
    if (this.fixed === undefined && t > this.mtimeMs + 86_400_000) {
      // Later than the file was last written: the line is from the year before.
      this.year--;
      t = new Date(this.year, month, day, h, m, s).getTime();
    }
    return t;
  }
}

async function* readDnsmasq(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const years = new YearOf(ctx.year, reader.input.mtimeMs);
  const open: Open[] = [];
  let head = 0;
  const bySerial = new Map<string, Open>();
  const byName = new Map<string, Open[]>();
  let lastReply: Open | null = null;
  let lastReplyName = '';
  /** The query of the line before, while no other line came between. */
  let justAsked: Open | null = null;
  let out: ImportRecord[] = [];
  const kept = new Kept();
  let lastStamp = '';
  let lastStampTs = 0;
  /** The time and tag of the last BSD line ("Dec  2 13:42:25 dnsmasq[9696]: "), "" after another kind. */
  let lastPrefix = '';

  const finish = (o: Open): void => {
    o.rec.answers = o.answers.join(', ');
    out.push(o.rec);
  };
  /** Closes the queries opened long enough ago (or too many), oldest first, in the order they were asked. */
  const closeBefore = (ts: number): void => {
    while (head < open.length && (open[head]!.rec.ts < ts - OPEN_MS || open.length - head > MAX_OPEN)) {
      const o = open[head++]!;
      const fifo = byName.get(o.rec.qname);
      if (fifo !== undefined) {
        const i = fifo.indexOf(o);
        if (i >= 0) fifo.splice(i, 1);
        if (fifo.length === 0) byName.delete(o.rec.qname);
      }
      if (o.serial !== '' && bySerial.get(o.serial) === o) bySerial.delete(o.serial);
      if (lastReply === o) lastReply = null;
      finish(o);
    }
    // Soon, not after thousands: handed-on records kept here would be copied at every scavenge.
    if (head > 256 && head * 2 > open.length) {
      open.splice(0, head);
      head = 0;
    }
  };

  const line = (text: string): void => {
    let ts: number;
    let body: string;
    // Lines of one second from one dnsmasq start alike: the previous line's time and tag are not read again.
    if (lastPrefix !== '' && text.startsWith(lastPrefix)) {
      ts = lastStampTs;
      body = text.slice(lastPrefix.length);
      return query(ts, body);
    }
    const bsd = BSD.exec(text);
    if (bsd !== null) {
      // Many lines share a second: turn its text into a time once.
      const stamp = text.slice(0, 15);
      if (stamp !== lastStamp) {
        const month = MONTHS[bsd[1]!];
        if (month === undefined) return ctx.skip();
        lastStamp = stamp;
        lastStampTs = years.time(month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]));
      }
      ts = lastStampTs;
      body = bsd[6]!;
      lastPrefix = text.slice(0, text.length - body.length);
    } else {
      lastPrefix = '';
      const iso = RFC3339.exec(text);
      if (iso === null) return ctx.skip();
      ts = Date.parse(iso[1]!);
      body = iso[2]!;
    }
    query(ts, body);
  };

  /** The body of a line (after its time and tag) at `ts`. */
  const query = (ts: number, body: string): void => {
    const m = BODY.exec(body);
    if (m === null || !Number.isFinite(ts)) return ctx.skip();
    const [, serial, address, port, what, rawName, verb, value] = m as unknown as string[];
    if (what!.startsWith('query[') && verb === 'from') {
      closeBefore(ts);
      const qtype = what!.slice(6, -1);
      const name = kept.get(rawName!.toLowerCase());
      const rec: ImportRecord = {
        ts,
        client: kept.get(address ?? value!),
        clientPort: port === undefined ? 0 : Number(port),
        transport: 'udp',
        qname: name,
        qtype: qtype.startsWith('type=') ? typeName(Number(qtype.slice(5))) : qtype,
        rcode: '',
        answers: '',
        latencyMs: 0,
        upstream: '',
        size: 0,
        error: '',
        watchRule: '',
        queryWire: NO_WIRE,
        responseWire: null,
      };
      const o: Open = { rec, serial: serial ?? '', answers: [], replied: false };
      open.push(o);
      if (serial !== undefined) bySerial.set(serial, o);
      else {
        const fifo = byName.get(name);
        if (fifo === undefined) byName.set(name, [o]);
        else fifo.push(o);
      }
      lastReply = null;
      justAsked = o;
      return;
    }
    const name = rawName!.toLowerCase();
    // A line about an open query: by serial when the log has them, else the oldest open one of that name.
    let o: Open | undefined;
    if (serial !== undefined) o = bySerial.get(serial);
    else if (verb === 'is' && lastReply !== null && lastReplyName === name) o = lastReply;
    // Answered queries leave the name's list, so its first is the oldest still open.
    else o = byName.get(name)?.[0];
    // A reply that names something else right after a query or a reply (a CNAME's target, a PTR's address)
    // belongs to that query.
    if (o === undefined && serial === undefined && verb === 'is') o = lastReply ?? justAsked ?? undefined;
    justAsked = null;
    if (o === undefined) return ctx.skip();
    if (verb === 'to') {
      if (what === 'forwarded') o.rec.upstream = kept.get(serverText(value!));
      return;
    }
    if (verb !== 'is') return ctx.skip();
    if (!o.replied) {
      o.replied = true;
      if (what === 'cached' || what === 'cached-stale') o.rec.upstream = 'cache';
      const fifo = serial === undefined ? byName.get(name) : undefined;
      if (fifo !== undefined) {
        const i = fifo.indexOf(o);
        if (i >= 0) fifo.splice(i, 1);
        if (fifo.length === 0) byName.delete(name);
      }
    }
    lastReply = o;
    lastReplyName = name;
    if (value === 'NXDOMAIN') o.rec.rcode = 'NXDOMAIN';
    else if (value === 'SERVFAIL' || value === 'REFUSED') o.rec.rcode = value;
    else {
      if (o.rec.rcode === '') o.rec.rcode = 'NOERROR';
      // NODATA, NODATA-IPv4/6 and <CNAME> (dnsmasq hides the target) add no answer text.
      if (!value!.startsWith('NODATA') && value !== '<CNAME>' && o.answers.length < MAX_ANSWERS)
        o.answers.push(ownText(value!));
    }
  };

  for await (const batch of textLines(reader, (n) => ctx.progress(n))) {
    for (const text of batch.lines) if (text !== '') line(text);
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  closeBefore(Number.POSITIVE_INFINITY);
  if (out.length > 0) yield out;
}

export const dnsmasq: FormatSpec = {
  id: 'dnsmasq',
  label: LABEL,
  wire: false,
  cannotTell: [
    'dnsmasq logs no DNS messages, so the pcap and dnstap exports leave these queries out.',
    'Its times are whole seconds in the zone of the computer that wrote the log (read in this computer’s zone), and its lines have no latency.',
    'Without log-queries=extra it logs no client port and no query serial: replies are paired with the oldest open query of the same name.',
    'It does not say whether a query came over UDP or TCP (shown as UDP), and it hides the target of a CNAME.',
  ],
  sniff: (head) =>
    /^(?:[A-Z][a-z]{2} +\d{1,2} [\d:]{8}|\d{4}-\d\d-\d\dT\S+) (?:\S+ )?dnsmasq(?:\[\d+\])?: /m.test(
      head.toString('utf8'),
    ),
  read: readDnsmasq,
  chunked: true,
};
