import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { leasesPhrase, partialSentence } from '@shared/import';
import { META_FILE, readCaptureMeta } from '../capture/journal';
import { COMPRESSED_SUFFIX, compressedPath } from '../capture/journal-frames';
import { ChainVerifier, verifyJournalFile, type ChainReport } from './journal-verify';
import { keyFingerprint, normalizeFingerprint, verifySignature } from './install-key';
import { JOURNAL_DIR, MANIFEST_FILE, parseManifest, SIGNATURE_FILE, type Manifest } from './manifest';
import { BUNDLE_FILES } from './summary';
import { checkDerived } from './verify-derived';
import { listZip, readZipEntry, type ZipListing } from './zip-reader';

/**
 * What a finding means, and the exit code of `npm run verify` (docs/EVIDENCE.md). When several apply the
 * first of mismatch, unreadable, unverified decides: a sign of tampering is never hidden behind a lesser one.
 */
export const EXIT_CODES = { ok: 0, mismatch: 1, unverified: 2, unreadable: 3 } as const;
export type FindingLevel = Exclude<keyof typeof EXIT_CODES, 'ok'>;

/** One thing verify cannot vouch for, or found changed; `file` is the file or bundle entry it concerns. */
export interface Finding {
  readonly level: FindingLevel;
  readonly file: string;
  readonly text: string;
}

const PREFIX: Readonly<Record<FindingLevel, string>> = {
  mismatch: 'MISMATCH',
  unverified: 'UNVERIFIED',
  unreadable: 'UNREADABLE',
};

/** What checking a bundle (or a journal) found. */
export interface VerifyResult {
  /** True only when verify vouches for everything (exit code 0). */
  readonly ok: boolean;
  /** 0 intact, 1 changed or not matching, 2 cannot vouch for all of it, 3 missing, unreadable or not evidence. */
  readonly exitCode: number;
  /** "OK …" when everything is vouched for, else one line per finding ("MISMATCH …", "UNVERIFIED …", …). */
  readonly lines: readonly string[];
}

/** The exit code for a set of findings (see EXIT_CODES). */
export function exitCodeOf(levels: Iterable<FindingLevel>): number {
  const all = new Set(levels);
  for (const level of ['mismatch', 'unreadable', 'unverified'] as const)
    if (all.has(level)) return EXIT_CODES[level];
  return EXIT_CODES.ok;
}

function result(findings: readonly Finding[], ok: string): VerifyResult {
  if (findings.length === 0) return { ok: true, exitCode: 0, lines: [ok] };
  return {
    ok: false,
    exitCode: exitCodeOf(findings.map((f) => f.level)),
    lines: findings.map((f) => `${PREFIX[f.level]} ${f.file}: ${f.text}`),
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;
const utc = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : 'an unknown time');
function range(from: number, to: number): string {
  return from === to ? `record ${from}` : `records ${from}–${to}`;
}

/** How the end of a journal without a closing seal is to be read. */
export type JournalEnd =
  /** Its capture.json says the capture is still running. */
  | 'running'
  /** A bundle of a capture that was running: the signed manifest pins the journal's end (checked apart). */
  | 'exported-running'
  /** Nothing is known. */
  | 'unknown';

/** The chain-level findings for one journal (a file, or an entry of a bundle). */
export function journalFindings(file: string, r: ChainReport, end: JournalEnd): Finding[] {
  const out: Finding[] = [];
  const unverified = (text: string): void => void out.push({ level: 'unverified', file, text });
  if (r.state === 'broken') {
    for (const p of r.problems) out.push({ level: 'mismatch', file, text: p.message });
    return out;
  }
  if (r.blocks === 0 && !r.closed && r.losses.length === 0 && r.records === r.unreadable) {
    out.push({
      level: 'unreadable',
      file,
      text:
        r.records === 0
          ? 'holds no journal records or seals'
          : `not a DNS Witness journal (none of its ${plural(r.records, 'line')} is a record or a seal)`,
    });
    return out;
  }
  if (r.state === 'not-chained') {
    unverified(
      `${plural(r.records, 'record')} and no seal: written before journals were sealed, or its seals were removed; nothing shows they are unchanged or complete`,
    );
    return out;
  }
  for (const l of r.losses)
    unverified(
      `${n(l.lost)} queries not saved between ${utc(l.fromTs)} and ${utc(l.toTs)} (${range(l.fromSeq, l.toSeq)}): the disk refused them while recording, as the journal's sealed loss line says`,
    );
  for (const m of r.missing)
    unverified(
      `${range(m.from, m.to)} missing between the records around them, and no loss line accounts for them`,
    );
  if (r.unsealed)
    unverified(
      `${range(r.unsealed.from, r.unsealed.to)} (${plural(r.unsealed.count, 'line')}) after the last seal are not sealed (the app stopped before sealing them, or the journal was cut or added to): nothing shows they are unchanged`,
    );
  // A running capture's last line may be half written; the "open" finding below covers it.
  if (r.torn > 0 && end !== 'running' && end !== 'exported-running')
    unverified(
      `the last line is cut off: ${plural(r.torn, 'byte')} without an ending newline (the app was stopped while writing it, or the file was cut); what it held cannot be read or vouched for`,
    );
  if (r.tornFrame > 0)
    unverified(
      `the compressed part ends with ${plural(r.tornFrame, 'byte')} of a block cut off while it was written (the app stopped while compressing it); its lines were read from the plain file`,
    );
  if (!r.closed && end !== 'exported-running') {
    const upTo = r.lastSeq > 0 ? `record ${r.lastSeq}` : 'its start';
    const sealed = `${plural(r.sealed, 'record')} in ${plural(r.blocks, 'sealed block')} unchanged`;
    if (end === 'running')
      unverified(
        `open: the capture is still running, as its capture.json says (or the app was killed); ${sealed} so far; records after ${upTo} cannot be vouched for until it stops`,
      );
    else if (r.counted)
      unverified(
        `no closing seal: the journal ends after ${upTo} without the seal a clean stop writes (cut, or the app stopped without closing it); ${sealed}; cannot tell whether records after it are missing`,
      );
    else
      unverified(
        `no closing seal (written before journals were closed with one): cannot tell whether records after ${upTo} are missing; ${sealed}`,
      );
  }
  return out;
}

/** The OK text for a journal verify vouches for. */
function journalOk(r: ChainReport): string {
  return `${plural(r.sealed, 'record')} in ${plural(r.blocks, 'sealed block')}, none changed after capture, none missing`;
}

interface Found {
  readonly sha256: string;
  readonly bytes: number;
  readonly chain: ChainReport | null;
  /** The bytes of manifest.json and manifest.sig (null for other files). */
  readonly raw: Buffer | null;
}

/** Hashes one entry; journals also go through the chain check, the manifest is kept as text. */
async function readEntry(
  fh: Awaited<ReturnType<typeof open>>,
  entry: Awaited<ReturnType<typeof listZip>>[number],
): Promise<Found> {
  const hash = createHash('sha256');
  const journal = entry.name.startsWith(JOURNAL_DIR) && entry.name.endsWith('.ndjson');
  const chain = journal ? new ChainVerifier() : null;
  const keep = entry.name === MANIFEST_FILE || entry.name === SIGNATURE_FILE ? ([] as Buffer[]) : null;
  let carry: Buffer | null = null;
  let bytes = 0;
  let crc = 0;
  for await (const chunk of readZipEntry(fh, entry)) {
    hash.update(chunk);
    bytes += chunk.length;
    crc = crc32(chunk, crc);
    keep?.push(chunk);
    if (chain) {
      const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        chain.line(data.subarray(start, nl));
        start = nl + 1;
      }
      carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
    }
  }
  if (chain && carry) chain.line(carry);
  if (crc >>> 0 !== entry.crc || bytes !== entry.size)
    throw new Error('its content does not match the zip checksum');
  return {
    sha256: hash.digest('hex'),
    bytes,
    chain: chain ? chain.finish() : null,
    raw: keep ? Buffer.concat(keep) : null,
  };
}

/** Names of files every bundle has: a zip with them but no manifest was a bundle. */
const BUNDLE_MARKERS = ['queries.csv', 'dns.pcap', 'summary.json', 'report.html'];

/**
 * Checks an evidence bundle: every file against the SHA-256 in manifest.json, the manifest against its own
 * hash, and every journal's hash chain (naming the record ranges that do not match) and completeness.
 * Never throws: a file that cannot be read is a finding too.
 */
export async function verifyBundle(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const name = basename(path);
  const bad: Finding[] = [];
  const mismatch = (file: string, text: string): void => void bad.push({ level: 'mismatch', file, text });
  const found = new Map<string, Found>();
  const listing = new Map<string, ZipListing>();
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return result([{ level: 'unreadable', file: name, text: readError(err) }], '');
  }
  try {
    let entries;
    try {
      entries = await listZip(fh);
    } catch (err) {
      return result(
        [{ level: 'unreadable', file: name, text: `not an evidence bundle: ${(err as Error).message}` }],
        '',
      );
    }
    for (const entry of entries) {
      if (found.has(entry.name)) {
        mismatch(entry.name, 'appears twice in the bundle');
        continue;
      }
      try {
        found.set(entry.name, await readEntry(fh, entry));
        listing.set(entry.name, entry);
      } catch (err) {
        mismatch(entry.name, `cannot be read: ${(err as Error).message}`);
      }
    }
    return await checkBundle(name, fh, found, listing, bad, opts);
  } finally {
    await fh.close();
  }
}

/** The checks after every entry was read once: manifest, journals, and the files derived from them. */
async function checkBundle(
  name: string,
  fh: Awaited<ReturnType<typeof open>>,
  found: ReadonlyMap<string, Found>,
  listing: ReadonlyMap<string, ZipListing>,
  bad: Finding[],
  opts: VerifyOptions,
): Promise<VerifyResult> {
  const mismatch = (file: string, text: string): void => void bad.push({ level: 'mismatch', file, text });
  let manifest: Manifest | null = null;
  const manifestRaw = found.get(MANIFEST_FILE)?.raw ?? null;
  const manifestText = manifestRaw?.toString('utf8') ?? null;
  if (manifestText === null) {
    if (bad.some((f) => f.file === MANIFEST_FILE)) return result(bad, '');
    const names = [...found.keys()];
    if (!names.some((e) => e.startsWith(JOURNAL_DIR) || BUNDLE_MARKERS.includes(e)))
      return result(
        [{ level: 'unreadable', file: name, text: 'not an evidence bundle (a zip without manifest.json)' }],
        '',
      );
    mismatch(MANIFEST_FILE, 'missing, nothing can be checked');
    return result(bad, '');
  }
  try {
    manifest = parseManifest(manifestText);
  } catch (err) {
    mismatch(MANIFEST_FILE, (err as Error).message);
  }
  const journals = new Map<string, Manifest['journals'][number]>();
  let signer = '';
  if (manifest !== null && manifestRaw !== null) {
    signer = checkSignature(manifest, manifestRaw, found.get(SIGNATURE_FILE)?.raw ?? null, opts, bad);
    const listed = new Set(manifest.files.map((f) => f.name));
    for (const f of manifest.files) {
      const got = found.get(f.name);
      if (got === undefined) {
        if (!bad.some((b) => b.file === f.name)) mismatch(f.name, 'listed in the manifest but missing');
      } else if (got.sha256 !== f.sha256 || got.bytes !== f.bytes)
        mismatch(f.name, 'SHA-256 differs from the manifest (changed after the bundle was built)');
    }
    for (const entry of found.keys())
      if (entry !== MANIFEST_FILE && !(entry === SIGNATURE_FILE && manifest.signed_by) && !listed.has(entry))
        mismatch(entry, 'not listed in the manifest');
    for (const j of manifest.journals) {
      journals.set(j.file, j);
      const chain = found.get(j.file)?.chain;
      if (!chain || j.chain !== 'chained' || chain.state !== 'chained') continue;
      if (chain.blocks !== j.blocks || chain.head !== j.head)
        mismatch(
          j.file,
          `has ${chain.blocks} sealed blocks, the manifest recorded ${j.blocks} (blocks removed or added)`,
        );
      else if (
        (j.sealed !== undefined && chain.sealed !== j.sealed) ||
        (j.closed !== undefined && chain.closed !== j.closed)
      )
        mismatch(j.file, `does not end where the manifest says it ended when the bundle was built`);
    }
    const derived = manifest.derived;
    if (derived) {
      try {
        for (const p of await checkDerived(fh, manifest, derived, listing)) mismatch(p.file, p.text);
      } catch (err) {
        // A journal or file that cannot be read again was already named; say what could not be compared.
        mismatch(BUNDLE_FILES.csv, `cannot be compared with the journals: ${(err as Error).message}`);
      }
    } else
      for (const file of [BUNDLE_FILES.csv, BUNDLE_FILES.pcap])
        if (found.has(file))
          bad.push({
            level: 'unverified',
            file,
            text: 'not compared with the journal records: the bundle was made before verify could derive it again',
          });
  }
  let records = 0;
  let count = 0;
  for (const [file, f] of found) {
    if (!f.chain) continue;
    count++;
    records += f.chain.sealed;
    // A capture running at export: the signed manifest pins where its journal was cut (checked above).
    const end = journals.get(file)?.running === true ? 'exported-running' : 'unknown';
    const c = f.chain;
    if (c.records === 0 && c.blocks === 0 && !c.closed && c.losses.length === 0) {
      // A capture with nothing on disk yet: fine while it runs, else nothing shows what it recorded.
      if (end !== 'exported-running')
        bad.push({
          level: 'unverified',
          file,
          text: 'empty: no record or seal of this capture reached the disk; nothing shows what it recorded',
        });
      continue;
    }
    bad.push(...journalFindings(file, c, end));
  }
  return result(
    bad,
    `OK ${name}: ${found.size} files match the manifest (SHA-256 ${manifest?.manifest_sha256 ?? ''}), ` +
      `signed by install key ${signer}; ${plural(count, 'journal')} with ${n(records)} sealed records unchanged ` +
      `and complete; ${BUNDLE_FILES.csv} and ${BUNDLE_FILES.pcap} match them (device columns as in the signed manifest)`,
  );
}

export interface VerifyOptions {
  /** The fingerprint the bundle must be signed with (as published by the user); any format of hex. */
  readonly key?: string;
}

/**
 * Checks manifest.sig against the manifest's own install key (Ed25519, RFC 8032) and, when given, the key
 * the user expects. Returns the signer's fingerprint ("" when unsigned); adds its findings to `bad`.
 */
function checkSignature(
  manifest: Manifest,
  raw: Buffer,
  sig: Buffer | null,
  opts: VerifyOptions,
  bad: Finding[],
): string {
  const expected = opts.key === undefined ? '' : normalizeFingerprint(opts.key);
  const signer = manifest.signed_by;
  if (!signer) {
    if (sig !== null)
      bad.push({
        level: 'mismatch',
        file: SIGNATURE_FILE,
        text: 'present, but the manifest names no install key',
      });
    bad.push(
      expected
        ? {
            level: 'mismatch',
            file: MANIFEST_FILE,
            text: `not signed, so not by the expected install key ${expected}`,
          }
        : {
            level: 'unverified',
            file: MANIFEST_FILE,
            text: 'not signed: made before bundles were signed, or rebuilt without the install key; nothing shows which installation made it',
          },
    );
    return '';
  }
  const publicKey = Buffer.from(typeof signer.public_key === 'string' ? signer.public_key : '', 'base64');
  const fingerprint = keyFingerprint(publicKey);
  if (sig === null)
    bad.push({
      level: 'mismatch',
      file: SIGNATURE_FILE,
      text: `missing: the manifest names install key ${fingerprint} but carries no signature (rebuilt without the key)`,
    });
  else if (signer.algorithm !== 'Ed25519' || !verifySignature(publicKey, raw, sig.toString('utf8')))
    bad.push({
      level: 'mismatch',
      file: SIGNATURE_FILE,
      text: `is not install key ${fingerprint}'s signature of this manifest.json (changed or rebuilt after signing)`,
    });
  if (expected && expected !== fingerprint)
    bad.push({
      level: 'mismatch',
      file: SIGNATURE_FILE,
      text: `signed by install key ${fingerprint}, not by the expected ${expected}`,
    });
  return fingerprint;
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'a folder, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: permission denied';
  return `cannot be read: ${(err as Error).message}`;
}

/**
 * Checks one journal file (a capture folder's journal.ndjson): its hash chain, that it is complete (a
 * closing seal; its capture.json, when beside it, tells a running capture apart), and the records it lost.
 * Never throws.
 */
export async function verifyJournal(given: string): Promise<VerifyResult> {
  // journal.ndjson.gz names the same journal: its compressed frames, read with journal.ndjson.
  const path = given.endsWith(COMPRESSED_SUFFIX) ? given.slice(0, -COMPRESSED_SUFFIX.length) : given;
  const name = basename(path);
  let r: ChainReport;
  try {
    // A journal whose every line was compressed may be left without its (empty) plain file.
    const s = await stat(path).catch((err: unknown) =>
      stat(compressedPath(path)).catch(() => Promise.reject(err)),
    );
    if (!s.isFile())
      return result([{ level: 'unreadable', file: name, text: readError({ code: 'EISDIR' }) }], '');
    r = await verifyJournalFile(path);
  } catch (err) {
    return result([{ level: 'unreadable', file: name, text: readError(err) }], '');
  }
  const meta = await readCaptureMeta(join(dirname(path), META_FILE));
  const end: JournalEnd = !r.closed && meta !== null && meta.stoppedAt === 0 ? 'running' : 'unknown';
  // An imported capture's journal vouches for the file as read, not for traffic DNS Witness saw.
  const source = meta?.source;
  const origin = source
    ? `; imported from ${source.files.map((f) => `${f.name} (SHA-256 ${f.sha256})`).join(', ')} by ${source.app}, not observed by it` +
      (leasesPhrase(source) === '' ? '' : `; devices named by ${leasesPhrase(source)}`) +
      (source.partial === false ? '' : `; ${partialSentence(source.partial)}`)
    : '';
  return result(journalFindings(name, r, end), `OK ${name}: intact and closed: ${journalOk(r)}${origin}`);
}

/** Checks a bundle (.zip) or a journal (anything else). Never throws. */
export function verifyPath(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  return path.toLowerCase().endsWith('.zip') ? verifyBundle(path, opts) : verifyJournal(path);
}
