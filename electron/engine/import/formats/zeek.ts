/**
 * Zeek's dns.log, one line per DNS transaction with the columns of DNS::Info (base/protocols/dns/main.zeek):
 * ts, uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto, trans_id, rtt, query, qclass, qtype,
 * qtype_name, rcode, rcode_name, AA, TC, RD, RA, Z, answers, TTLs, rejected. Read in Zeek's two formats:
 * tab-separated with its `#separator`, `#fields`, `#set_separator`, `#unset_field` and `#empty_field` header
 * lines, and JSON lines (LogAscii::use_json), whose ts is epoch seconds or an ISO 8601 string.
 */
import { typeName } from '../../dns/wire';
import { textLines, type HashedReader } from '../source-file';
import {
  damagedAfter,
  ImportError,
  NO_WIRE,
  type FormatSpec,
  type ImportRecord,
  type ReadContext,
} from '../types';

const LABEL = 'Zeek dns.log';
const MAX_ANSWERS = 8;

/** One row's values by column name, as strings (TSV) or JSON values. */
type Row = (name: string) => unknown;

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The record of one transaction; null when the row has no query name (Zeek logs some without). */
function zeekRecord(get: Row): ImportRecord | null {
  const query = text(get('query'));
  if (query === '') return null;
  const rawTs = get('ts');
  const ts =
    typeof rawTs === 'number'
      ? rawTs * 1000
      : /^\d+(\.\d+)?$/.test(text(rawTs))
        ? Number(rawTs) * 1000
        : Date.parse(text(rawTs));
  if (!Number.isFinite(ts)) return null;
  const answers = get('answers');
  const list = Array.isArray(answers) ? answers.map(text) : [];
  const rtt = Number(get('rtt'));
  const respH = text(get('id.resp_h'));
  const respP = text(get('id.resp_p'));
  const qtypeName = text(get('qtype_name'));
  const qtype = Number(get('qtype'));
  return {
    ts: Math.floor(ts),
    client: text(get('id.orig_h')),
    clientPort: Number(get('id.orig_p')) || 0,
    transport: text(get('proto')) === 'tcp' ? 'tcp' : 'udp',
    qname: query.toLowerCase(),
    qtype: qtypeName !== '' ? qtypeName : Number.isInteger(qtype) ? typeName(qtype) : '',
    rcode: text(get('rcode_name')),
    answers:
      list.slice(0, MAX_ANSWERS).join(', ') +
      (list.length > MAX_ANSWERS ? `, +${list.length - MAX_ANSWERS} more` : ''),
    latencyMs: Number.isFinite(rtt) ? Math.round(rtt * 1e6) / 1000 : 0,
    upstream: respH === '' ? '' : `${respH.includes(':') ? `[${respH}]` : respH}:${respP}`,
    size: 0,
    error: get('rejected') === true || get('rejected') === 'T' ? 'rejected' : '',
    watchRule: '',
    queryWire: NO_WIRE,
    responseWire: null,
  };
}

/** `\x09` in a header line: Zeek writes its separators escaped. */
function unescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

async function* readZeek(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const name = reader.input.name;
  /** The rows of the batch read so far: a partial import keeps them when a later row is damaged. */
  let out: ImportRecord[] = [];
  function fail(line: number, why: string): never {
    damagedAfter(new ImportError(`${LABEL} ${name}`, `line ${line}`, why), out);
  }
  let separator = '\t';
  let setSeparator = ',';
  let unset = '-';
  let empty = '(empty)';
  let columns: Map<string, number> | null = null;
  for await (const batch of textLines(reader, (n) => ctx.progress(n))) {
    out = [];
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i]!;
      const at = batch.first + i;
      if (line === '') continue;
      if (line.startsWith('{')) {
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          fail(at, 'not a JSON object');
        }
        if (typeof v !== 'object' || v === null) fail(at, 'not a JSON object');
        const o = v as Record<string, unknown>;
        const rec = zeekRecord((k) => o[k]);
        if (rec === null) ctx.skip();
        else out.push(rec);
        continue;
      }
      if (line.startsWith('#')) {
        const sp = line.indexOf(line.startsWith('#separator') ? ' ' : separator);
        const key = line.slice(1, sp < 0 ? line.length : sp);
        const value = sp < 0 ? '' : line.slice(sp + 1);
        if (key === 'separator') separator = unescape(value);
        else if (key === 'set_separator') setSeparator = unescape(value);
        else if (key === 'unset_field') unset = value;
        else if (key === 'empty_field') empty = value;
        else if (key === 'fields') columns = new Map(value.split(separator).map((c, k) => [c, k]));
        else if (key === 'path' && value !== 'dns') fail(at, `a Zeek ${value}.log, not a dns.log`);
        continue;
      }
      if (columns === null) fail(at, 'a row before the #fields header');
      const cells = line.split(separator);
      if (cells.length !== columns.size)
        fail(at, `${cells.length} columns where #fields names ${columns.size}`);
      const cols = columns;
      const rec = zeekRecord((k) => {
        const idx = cols.get(k);
        if (idx === undefined) return undefined;
        const cell = cells[idx]!;
        if (cell === unset) return undefined;
        if (k === 'answers') return cell === empty ? [] : cell.split(setSeparator);
        return cell;
      });
      if (rec === null) ctx.skip();
      else out.push(rec);
    }
    yield out;
  }
}

export const zeek: FormatSpec = {
  id: 'zeek',
  label: LABEL,
  wire: false,
  cannotTell: [
    'Zeek keeps no DNS messages, so the pcap and dnstap exports leave these queries out.',
    'Its answers are its own summary (names and addresses), without the response size.',
    'It shows only what passed its sensor: lookups answered elsewhere, or over encrypted DNS, are not in it.',
  ],
  sniff: (head) => {
    const start = head.toString('utf8', 0, Math.min(head.length, 8192));
    return (
      /^#path\s+dns$/m.test(start) ||
      (/^\{.*"id\.orig_h"/m.test(start) && /"trans_id"|"qtype_name"/.test(start))
    );
  },
  read: readZeek,
  chunked: true,
};
