// Writes N queries of history straight into a data folder, in the format the service writes: the engine's
// own journal encoder (capture/journal-encode.ts), hash chain (capture/chain.ts), compressed frames
// (capture/journal-frames.ts), time formatter and capture.json writer, loaded from the TypeScript sources with jiti (as kb-lint does), so the bytes on disk
// are those the service would have written for the same exchanges. Sending millions of real queries would
// take hours; this takes seconds per million.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { createJiti } from 'jiti';

const DAY_MS = 86_400_000;
/** The service flushes (and seals) its journal 250 ms after the first unwritten line. */
const FLUSH_MS = 250;
const OUT_BYTES = 8 << 20;
const ROUTER = '192.168.0.1';
/** The router's telemetry rule in the knowledge base (shared/kb/rules/tp-link.json). */
const TELEMETRY_RULE = 'avira-safethings';
const TELEMETRY_NAME = 'eu.safethings.avira.com';

/** The engine's journal writing pieces, from the sources of this checkout. */
async function engineCodec(root) {
  const jiti = createJiti(import.meta.url, { alias: { '@shared': path.join(root, 'shared') } });
  const capture = path.join(root, 'electron', 'engine', 'capture');
  const files = [
    'journal-encode.ts',
    'chain.ts',
    'local-time.ts',
    'journal.ts',
    'capture-id.ts',
    'segment.ts',
    'checkpoint.ts',
    'journal-frames.ts',
  ];
  const modules = await Promise.all(files.map((f) => jiti.import(path.join(capture, f))));
  return Object.assign({}, ...modules);
}

/** A small deterministic generator (mulberry32), so two runs write the same history. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DNS query and response bytes for an A lookup of `name` answered with `address` (TTL 300). */
function wires(name, address) {
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const question = Buffer.concat([...labels, Buffer.from([0, 0, 1, 0, 1])]);
  const q = Buffer.concat([Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), question]);
  const head = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, ...address.split('.').map(Number)]);
  return { q, r: Buffer.concat([head, question, rr]) };
}

/**
 * The lookups a household makes: the router's telemetry about once a second in bursts, and `clients`
 * devices (192.168.x.y) asking for `names` distinct names, a few devices and names much more than others.
 */
function household(clients, names, rand) {
  const sites = Array.from({ length: names }, (_, i) => {
    const name = `${['www', 'api', 'cdn', 'img', 'time'][i % 5]}.site${i}.example.${['com', 'net', 'org'][i % 3]}`;
    const address = `93.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    return { name, address, rule: '', ...wires(name, address) };
  });
  const telemetry = { name: TELEMETRY_NAME, address: '18.66.2.10', rule: TELEMETRY_RULE };
  Object.assign(telemetry, wires(telemetry.name, telemetry.address));
  // A household's devices on 192.168.0.0/24; a network of thousands on 10.0.0.0/8.
  const devices = Array.from({ length: clients }, (_, i) => {
    const n = i + 2;
    return clients < 250 ? `192.168.0.${n}` : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  });
  // Skewed picks: a square of a uniform number favours the first devices and names. Past a household's
  // size every device takes its turn, so each of them appears.
  const pick = (list) => list[Math.floor(rand() * rand() * list.length)];
  let turn = 0;
  const device = clients > 1000 ? () => devices[turn++ % clients] : () => pick(devices);
  return () => (rand() < 0.2 ? [ROUTER, telemetry] : [device(), pick(sites)]);
}

/**
 * Writes `queries` queries ending a minute ago, at `rate` a second on average (Poisson arrivals), as one
 * stopped capture per day under `${dataDir}/captures/`; with `checkpoints`, each with the checkpoint the
 * service writes when a capture stops (capture/checkpoint.ts), else as a version without them left it.
 * Resolves { captures, bytes, checkpointBytes, firstTs, lastTs }.
 */
export async function writeHistory({
  root,
  dataDir,
  queries,
  rate = 5,
  clients = 24,
  names = 3000,
  checkpoints = false,
  log,
}) {
  const c = await engineCodec(root);
  const rand = random(0x5eed);
  const next = household(clients, names, rand);
  const meanGap = 1000 / rate;
  const end = Date.now() - 60_000;
  let ts = Math.round(end - queries * meanGap);
  const times = new c.LocalTimeFormatter();
  let out = Buffer.allocUnsafe(OUT_BYTES);
  let block = Buffer.allocUnsafe(1 << 16);
  const captures = [];
  let bytes = 0;
  let checkpointBytes = 0;
  let seq = 0;
  const firstTs = ts;
  while (seq < queries) {
    const startedAt = ts;
    const id = c.newCaptureId(startedAt);
    const dir = path.join(dataDir, 'captures', id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journalPath = path.join(dir, c.JOURNAL_FILE);
    // As the service leaves a stopped capture: every sealed line in frames of journal.ndjson.gz, cut where
    // its writer cuts them (after the first seal past JOURNAL_FRAME_BYTES, and at the closing seal), and
    // journal.ndjson empty.
    closeSync(openSync(journalPath, 'w', 0o600));
    const fd = openSync(c.compressedPath(journalPath), 'w', 0o600);
    // The store's own in-memory capture, for its checkpoint.
    const seg = checkpoints ? new c.CaptureSegment(id, startedAt, 0) : null;
    const chain = new c.ChainState();
    const frame = { n: 0, hash: c.GENESIS, sealFrom: 1, from: 0, to: 0 };
    let outLen = 0;
    const compress = async () => {
      if (outLen === 0) return;
      const { n, count, head } = chain.position();
      const { member, header } = await c.encodeFrame(out.subarray(0, outLen), frame.hash, {
        frame: frame.n + 1,
        sealFrom: frame.sealFrom,
        sealTo: n,
        count,
        from: frame.from,
        to: frame.to,
        head,
      });
      writeSync(fd, member);
      Object.assign(frame, { n: header.frame, hash: header.sha256, sealFrom: n + 1, from: 0, to: 0 });
      bytes += member.length;
      outLen = 0;
    };
    const emit = (buf, len) => {
      if (outLen + len > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, outLen + len));
        out.copy(bigger, 0, 0, outLen);
        out = bigger;
      }
      outLen += buf.copy(out, outLen, 0, len);
    };
    const sealText = async (seal) => {
      const line = Buffer.from(`${c.sealLine(seal)}\n`);
      emit(line, line.length);
      if (outLen >= c.JOURNAL_FRAME_BYTES) await compress();
    };
    let blockLen = 0;
    let blockFrom = 0;
    let blockStart = 0;
    const sealBlock = async () => {
      if (blockLen === 0) return;
      const lines = seq - blockFrom + 1;
      emit(block, blockLen);
      if (frame.from === 0) frame.from = blockFrom;
      frame.to = seq;
      const seal = chain.seal(block.subarray(0, blockLen), blockFrom, seq, lines, lines);
      blockLen = 0;
      await sealText(seal);
    };
    const dayEnd = startedAt + DAY_MS;
    let last = ts;
    while (seq < queries && ts < dayEnd) {
      // The service seals what it collected 250 ms after the first line of a block.
      if (blockLen > 0 && ts >= blockStart + FLUSH_MS) await sealBlock();
      const [client, site] = next();
      site.q[0] = site.r[0] = Math.floor(rand() * 256);
      site.q[1] = site.r[1] = Math.floor(rand() * 256);
      const rec = {
        ts,
        client,
        clientPort: 1024 + Math.floor(rand() * 64000),
        transport: 'udp',
        qname: site.name,
        qtype: 'A',
        rcode: 'NOERROR',
        answers: site.address,
        latencyMs: Math.round((2 + rand() * 30) * 1000) / 1000,
        upstream: '1.1.1.1:53',
        size: site.r.length,
        error: '',
        watchRule: site.rule,
        queryWire: site.q,
        responseWire: site.r,
      };
      seq++;
      const time = times.format(ts);
      seg?.add(seq, rec, times.lastOffset);
      const need = c.journalLineMaxBytes(time, id, rec) + 1;
      if (blockLen + need > block.length) {
        const bigger = Buffer.allocUnsafe(Math.max(block.length * 2, blockLen + need));
        block.copy(bigger, 0, 0, blockLen);
        block = bigger;
      }
      if (blockLen === 0) {
        blockFrom = seq;
        blockStart = ts;
      }
      blockLen = c.encodeJournalLine(block, blockLen, seq, time, id, rec);
      block[blockLen++] = 10;
      last = ts;
      ts += Math.max(1, Math.round(-Math.log(1 - rand()) * meanGap));
    }
    await sealBlock();
    // A clean stop ends the journal with a closing seal (chain.ts), and compresses what is left.
    await sealText(chain.close());
    await compress();
    closeSync(fd);
    const stoppedAt = last + 1000;
    writeFileSync(path.join(dir, c.META_FILE), c.captureMetaText({ id, startedAt, stoppedAt }), {
      mode: 0o600,
    });
    if (seg !== null) {
      seg.stoppedAt = stoppedAt;
      checkpointBytes += await c.writeCheckpoint(dir, journalPath, seg.checkpoint());
    }
    captures.push({ id, startedAt, stoppedAt, lastSeq: seq });
    log?.(`history: capture ${id} up to query ${seq.toLocaleString('en-US')}`);
  }
  return { captures, bytes, checkpointBytes, firstTs, lastTs: ts, clients };
}
