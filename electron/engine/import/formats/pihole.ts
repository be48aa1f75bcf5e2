/**
 * Pi-hole's long-term database, pihole-FTL.db, as FTL writes it (pi-hole/FTL: src/database/query-table.h,
 * network-table.c). Pi-hole v5 from FTL database version 10 on, and v6 (database version 21), keep the
 * queries in `query_storage` with ids into domain_by_id, client_by_id and forward_by_id, and a `queries` view
 * that turns the ids back into text; older v5 databases have a plain `queries` table. Both are read through
 * the name `queries`, with the columns the file has. The network tables (`network`, `network_addresses`)
 * give each address's MAC and host name.
 *
 * The file is read with SQLite compiled to WebAssembly (node-sqlite3-wasm): no native add-on, so it runs in
 * Node and in Electron alike. It reads the file's pages through Node's fs as SQLite asks for them, and rows
 * are fetched a page of ids at a time, so a database of any size is never held whole.
 */
import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node-sqlite3-wasm';
import type { Database as SqliteDatabase, SQLiteValue } from 'node-sqlite3-wasm';
import { typeName } from '../../dns/wire';
import type { HashedReader } from '../source-file';
import { ImportError, NO_WIRE, type FormatSpec, type ImportRecord, type ReadContext } from '../types';
import { serverText } from './dnsmasq';

const LABEL = 'Pi-hole FTL database';
/** Rows fetched per statement: a few MB of JavaScript objects at most. */
export const PAGE_ROWS = 5000;
/** Devices read from the network tables; a network table beyond it is cut (DeviceRegistry keeps as many). */
const MAX_DEVICES = 4096;

/** FTL's `enum query_types` (src/enums.h); a type it has no name for is stored as 100 + the DNS type. */
const FTL_TYPES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'AAAA',
  3: 'ANY',
  4: 'SRV',
  5: 'SOA',
  6: 'PTR',
  7: 'TXT',
  8: 'NAPTR',
  9: 'MX',
  10: 'DS',
  11: 'RRSIG',
  12: 'DNSKEY',
  13: 'NS',
  15: 'SVCB',
  16: 'HTTPS',
};

/** The DNS type name of FTL's `type` column; "" for TYPE_OTHER without its number (never stored so). */
export function ftlType(type: number): string {
  if (type > 100) return typeName(type - 100);
  return FTL_TYPES[type] ?? '';
}

/**
 * FTL's `enum reply_type` to the response code: NODATA, CNAME, IP, DOMAIN, RRNAME, DNSSEC and BLOB replies
 * are NOERROR; UNKNOWN, OTHER and NONE (no reply, e.g. a query still in progress) tell none.
 */
const FTL_REPLIES: Readonly<Record<number, string>> = {
  1: 'NOERROR',
  2: 'NXDOMAIN',
  3: 'NOERROR',
  4: 'NOERROR',
  5: 'NOERROR',
  6: 'NOERROR',
  7: 'SERVFAIL',
  8: 'REFUSED',
  9: 'NOTIMP',
  11: 'NOERROR',
  13: 'NOERROR',
};

export function ftlRcode(replyType: number): string {
  return FTL_REPLIES[replyType] ?? '';
}

/**
 * FTL's `enum query_status`: what Pi-hole did with the query. Blocked by Pi-hole itself (gravity, regex,
 * deny list, their CNAME variants, and the special domains it answers itself) is "blocked", the forwarder's
 * own word; answered while its database was busy is "busy". Blocked by the upstream (6-8, 18) is the
 * upstream's answer, so no error. Cached (3) and served stale from the cache (17) came from no upstream.
 */
const BLOCKED = new Set([1, 4, 5, 9, 10, 11, 16]);
const CACHED = new Set([3, 17]);
const STATUS_BUSY = 15;

export function ftlOutcome(status: number): { error: string; cached: boolean } {
  return {
    error: BLOCKED.has(status) ? 'blocked' : status === STATUS_BUSY ? 'busy' : '',
    cached: CACHED.has(status),
  };
}

const num = (v: SQLiteValue | undefined): number =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : NaN;
const str = (v: SQLiteValue | undefined): string => (typeof v === 'string' ? v : '');

/** One row of the `queries` view as a record; null when it has no time or no name (counted as skipped). */
export function piholeRecord(row: Row): ImportRecord | null {
  const seconds = num(row.timestamp);
  let name = str(row.domain).toLowerCase();
  if (!Number.isFinite(seconds) || seconds <= 0 || name === '') return null;
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  const { error, cached } = ftlOutcome(num(row.status));
  const forward = str(row.forward);
  const replyTime = num(row.reply_time);
  return {
    // v6 stores fractions of a second, v5 whole seconds.
    ts: Math.round(seconds * 1000),
    client: str(row.client),
    clientPort: 0,
    transport: 'udp',
    qname: name,
    qtype: ftlType(num(row.type)),
    rcode: ftlRcode(num(row.reply_type)),
    answers: '',
    // reply_time is in seconds.
    latencyMs: Number.isFinite(replyTime) && replyTime > 0 ? Math.round(replyTime * 1e6) / 1000 : 0,
    upstream: cached ? 'cache' : forward === '' ? '' : serverText(forward),
    size: 0,
    error,
    watchRule: '',
    queryWire: NO_WIRE,
    responseWire: null,
  };
}

type Sqlite = typeof NodeSqlite;
let sqlite: Sqlite | null = null;

/** The WebAssembly SQLite, compiled on first use: other formats do not pay for it. */
function loadSqlite(): Sqlite {
  sqlite ??= createRequire(import.meta.url)('node-sqlite3-wasm') as Sqlite;
  return sqlite;
}

type Row = Record<string, SQLiteValue>;

/** Rows of a statement without `expand`: column name to value. */
const rowsOf = (db: SqliteDatabase, sql: string): Row[] => db.all(sql) as Row[];

function columnsOf(db: SqliteDatabase, table: string): Set<string> {
  return new Set(rowsOf(db, `PRAGMA table_info(${table})`).map((r) => str(r.name)));
}

/**
 * The MAC and host name of each address: from the network tables (v5 and v6 layouts), then the names FTL
 * resolved for its clients (client_by_id.name, database version 10 on) where the network tables have none.
 */
function readDevices(db: SqliteDatabase, ctx: ReadContext): void {
  const found = new Map<string, { mac: string; name: string }>();
  const network = columnsOf(db, 'network');
  const addresses = columnsOf(db, 'network_addresses');
  if (network.has('hwaddr') && addresses.has('ip')) {
    // Names are kept per address since database version 9, per device before.
    const name = addresses.has('name') ? 'a.name' : network.has('name') ? 'n.name' : "''";
    for (const r of rowsOf(
      db,
      `SELECT a.ip AS ip, n.hwaddr AS hwaddr, ${name} AS name FROM network_addresses a
         JOIN network n ON n.id = a.network_id ORDER BY a.lastSeen DESC LIMIT ${MAX_DEVICES}`,
    )) {
      // Devices FTL saw without a MAC get a made-up hwaddr ("ip-ADDRESS"): no MAC then.
      const hw = str(r.hwaddr).toLowerCase();
      const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(hw) ? hw : '';
      if (str(r.ip) !== '') found.set(str(r.ip), { mac, name: str(r.name) });
    }
  }
  if (columnsOf(db, 'client_by_id').has('name'))
    for (const r of rowsOf(
      db,
      `SELECT ip, name FROM client_by_id WHERE name IS NOT NULL AND name != '' LIMIT ${MAX_DEVICES}`,
    )) {
      const known = found.get(str(r.ip));
      if (known === undefined) found.set(str(r.ip), { mac: '', name: str(r.name) });
      else if (known.name === '') known.name = str(r.name);
    }
  for (const [address, d] of found) if (d.mac !== '' || d.name !== '') ctx.device(address, d.mac, d.name);
}

/** The SQLite error's text on one line. */
function why(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/** The columns read from `queries`; throws ImportError when the file has no Pi-hole queries. */
function queryColumns(db: SqliteDatabase, where: string): string[] {
  const cols = columnsOf(db, 'queries');
  if (cols.size === 0)
    throw new ImportError(
      where,
      '',
      columnsOf(db, 'gravity').size > 0
        ? 'Pi-hole’s gravity database (its block lists): the queries are in pihole-FTL.db'
        : 'an SQLite database without a queries table or view: not Pi-hole’s',
    );
  const needed = ['id', 'timestamp', 'type', 'status', 'domain', 'client'];
  for (const c of needed)
    if (!cols.has(c))
      throw new ImportError(where, '', `its queries table has no "${c}" column: not Pi-hole’s`);
  return [...needed, ...['forward', 'reply_type', 'reply_time'].filter((c) => cols.has(c))];
}

async function* readPihole(reader: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  const { input } = reader;
  const where = `${LABEL} ${input.name}`;
  const { Database } = loadSqlite();
  let db: SqliteDatabase;
  try {
    db = new Database(input.path, { readOnly: true, fileMustExist: true });
  } catch (err) {
    throw new ImportError(where, '', `cannot be opened as an SQLite database (${why(err)})`);
  }
  // The last id read: where a damaged page is reported.
  let after: number | null = null;
  try {
    // FTL keeps its database in WAL mode. This SQLite has no shared memory: in exclusive mode it keeps the
    // WAL index in its own memory, and still reads a -wal file lying beside the database.
    db.exec('PRAGMA locking_mode=EXCLUSIVE');
    const columns = queryColumns(db, where);
    const [span] = rowsOf(db, 'SELECT min(id) AS lo, max(id) AS hi FROM queries');
    const first = num(span?.lo);
    const last = num(span?.hi);
    readDevices(db, ctx);
    if (!Number.isFinite(first) || !Number.isFinite(last)) return;
    const stmt = db.prepare(
      `SELECT ${columns.join(', ')} FROM queries WHERE id > ? ORDER BY id LIMIT ${PAGE_ROWS}`,
    );
    try {
      after = first - 1;
      for (;;) {
        if (ctx.signal.aborted) return;
        const rows = stmt.all([after]) as Row[];
        if (rows.length === 0) break;
        const out: ImportRecord[] = [];
        for (const row of rows) {
          const rec = piholeRecord(row);
          if (rec === null) ctx.skip();
          else out.push(rec);
        }
        after = num(rows[rows.length - 1]!.id);
        ctx.progress(last > first ? Math.round((input.size * (after - first)) / (last - first)) : input.size);
        yield out;
      }
    } finally {
      stmt.finalize();
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(
      where,
      after === null ? '' : `after query id ${after}`,
      after === null
        ? `not a readable SQLite database (${why(err)})`
        : `the database is damaged (${why(err)})`,
    );
  } finally {
    try {
      db.close();
    } catch {
      // Read only: nothing is lost when closing fails.
    }
  }
}

export const pihole: FormatSpec = {
  id: 'pihole',
  label: LABEL,
  wire: false,
  cannotTell: [
    'Pi-hole stores no DNS messages, neither the query nor the response, so the pcap and dnstap exports leave these queries out.',
    'It keeps no answers, only the kind of reply (an address, a CNAME, NODATA, NXDOMAIN, …), no client port, and does not tell UDP from TCP (shown as UDP).',
    'Older databases keep times in whole seconds; MACs and host names come from its network table as FTL last saw them, not as they were at each query.',
  ],
  // Every SQLite file: the reader then says in one line when it holds no Pi-hole queries.
  sniff: (head) => head.length >= 16 && head.toString('latin1', 0, 16) === 'SQLite format 3\0',
  read: readPihole,
};
