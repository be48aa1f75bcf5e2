// Helpers for the engine's tests only (capture/ and export/); production code never imports this file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ExchangeRecord } from './types';

/** Strict RFC 4180 reader (for tests): CRLF records, quotes only around whole fields, nothing bare that needs quoting. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\r')
          throw new Error(`text after closing quote at ${i}`);
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '' || wasQuoted) throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      wasQuoted = true;
      i++;
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      wasQuoted = false;
      i++;
      continue;
    }
    if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`);
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      wasQuoted = false;
      i += 2;
      continue;
    }
    if (c === '\n') throw new Error(`bare LF at ${i}`);
    field += c;
    i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last record lacks its CRLF');
  return rows;
}

/** A fresh private temp dir under os.tmpdir(); `cleanup` removes it. */
export async function tempDir(
  prefix = 'dnsw-capture-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A plausible exchange, with `over` applied; wire bytes encode `seed` so tests can tell them apart. */
export function exchange(over: Partial<ExchangeRecord> = {}, seed = 1): ExchangeRecord {
  return {
    ts: 1_763_859_901_000,
    client: '192.168.0.1',
    clientPort: 40_000 + seed,
    transport: 'udp',
    qname: 'eu.safethings.avira.com',
    watchRule: '',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '18.66.1.2',
    latencyMs: 12.345,
    upstream: '1.1.1.1:53',
    size: 64,
    error: '',
    queryWire: Uint8Array.from([seed & 255, 1, 2, 3]),
    responseWire: Uint8Array.from([seed & 255, 9, 8, 7, 6]),
    ...over,
  };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

// What JSON must escape, plus surrogates (JSON.stringify escapes lone ones); anything else goes in as is.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * One journal line (no newline) built as a string: the QueryEvent fields plus `q` and `r`, the base64 wire
 * bytes of query and response (`q` left out for an imported record without DNS messages, `r` when no
 * response was sent), and `src` for an observed exchange. The test oracle for
 * encodeJournalLine (journal-encode.ts), which production uses and which must write exactly these bytes;
 * `time` and `captureId` are the store's own strings and need no escaping.
 */
export function journalLine(seq: number, time: string, captureId: string, rec: ExchangeRecord): string {
  let line =
    `{"seq":${seq},"ts":${jsonNumber(rec.ts)},"time":"${time}","captureId":"${captureId}",` +
    `"client":${jsonString(rec.client)},"clientPort":${jsonNumber(rec.clientPort)},` +
    `"transport":"${rec.transport === 'tcp' ? 'tcp' : 'udp'}","qname":${jsonString(rec.qname)},` +
    `"qtype":${jsonString(rec.qtype)},"rcode":${jsonString(rec.rcode)},"answers":${jsonString(rec.answers)},` +
    `"latencyMs":${jsonNumber(rec.latencyMs)},"upstream":${jsonString(rec.upstream)},` +
    `"size":${jsonNumber(rec.size)},"error":${jsonString(rec.error)},"watchRule":${jsonString(rec.watchRule)}` +
    (rec.source ? `,"src":${jsonString(rec.source)}` : '');
  if (rec.queryWire.length > 0) line += `,"q":"${base64(rec.queryWire)}"`;
  if (rec.responseWire !== null) line += `,"r":"${base64(rec.responseWire)}"`;
  return `${line}}`;
}

/**
 * A journal's lines as written: its compressed frames (every gzip member, as zcat reads them; see
 * journal-frames.ts), then its plain file. "" when neither exists.
 */
export async function journalText(path: string): Promise<string> {
  const gz = await readFile(`${path}.gz`).catch(() => null);
  const plain = await readFile(path, 'utf8').catch(() => '');
  return (gz === null ? '' : gunzipSync(gz).toString('utf8')) + plain;
}
