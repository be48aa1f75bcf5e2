import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { ChainVerifier, describeChain, verifyJournalFile, type ChainReport } from './journal-verify';
import { JOURNAL_DIR, MANIFEST_FILE, parseManifest, type Manifest } from './manifest';
import { listZip, readZipEntry } from './zip-reader';

/** What checking a bundle (or a journal) found: `ok`, and one line per finding for people. */
export interface VerifyResult {
  readonly ok: boolean;
  /** "OK …" when everything matches, else one "MISMATCH …" line per problem. */
  readonly lines: readonly string[];
}

interface Found {
  readonly sha256: string;
  readonly bytes: number;
  readonly chain: ChainReport | null;
  readonly text: string | null;
}

/** Hashes one entry; journals also go through the chain check, the manifest is kept as text. */
async function readEntry(
  fh: Awaited<ReturnType<typeof open>>,
  entry: Awaited<ReturnType<typeof listZip>>[number],
): Promise<Found> {
  const hash = createHash('sha256');
  const journal = entry.name.startsWith(JOURNAL_DIR) && entry.name.endsWith('.ndjson');
  const chain = journal ? new ChainVerifier() : null;
  const keep = entry.name === MANIFEST_FILE ? ([] as Buffer[]) : null;
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
    text: keep ? Buffer.concat(keep).toString('utf8') : null,
  };
}

/**
 * Checks an evidence bundle: every file against the SHA-256 in manifest.json, the manifest against its own
 * hash, and every journal's hash chain (naming the record ranges that do not match). Never throws for a
 * damaged bundle; rejects only when the file cannot be opened.
 */
export async function verifyBundle(path: string): Promise<VerifyResult> {
  const fh = await open(path, 'r');
  const bad: string[] = [];
  const found = new Map<string, Found>();
  let manifest: Manifest | null = null;
  try {
    let entries;
    try {
      entries = await listZip(fh);
    } catch (err) {
      return { ok: false, lines: [`MISMATCH ${basename(path)}: ${(err as Error).message}`] };
    }
    for (const entry of entries) {
      if (found.has(entry.name)) {
        bad.push(`MISMATCH ${entry.name}: appears twice in the bundle`);
        continue;
      }
      try {
        found.set(entry.name, await readEntry(fh, entry));
      } catch (err) {
        bad.push(`MISMATCH ${entry.name}: cannot be read: ${(err as Error).message}`);
      }
    }
  } finally {
    await fh.close();
  }
  const manifestText = found.get(MANIFEST_FILE)?.text ?? null;
  if (manifestText === null) {
    if (!bad.some((l) => l.startsWith(`MISMATCH ${MANIFEST_FILE}`)))
      bad.push(`MISMATCH ${MANIFEST_FILE}: missing, nothing can be checked`);
    return { ok: false, lines: bad };
  }
  try {
    manifest = parseManifest(manifestText);
  } catch (err) {
    bad.push(`MISMATCH ${MANIFEST_FILE}: ${(err as Error).message}`);
  }
  if (manifest !== null) {
    const listed = new Set(manifest.files.map((f) => f.name));
    for (const f of manifest.files) {
      const got = found.get(f.name);
      if (got === undefined) {
        if (!bad.some((l) => l.startsWith(`MISMATCH ${f.name}:`)))
          bad.push(`MISMATCH ${f.name}: listed in the manifest but missing`);
      } else if (got.sha256 !== f.sha256 || got.bytes !== f.bytes)
        bad.push(
          `MISMATCH ${f.name}: SHA-256 differs from the manifest (changed after the bundle was built)`,
        );
    }
    for (const name of found.keys())
      if (name !== MANIFEST_FILE && !listed.has(name))
        bad.push(`MISMATCH ${name}: not listed in the manifest`);
    for (const j of manifest.journals) {
      const chain = found.get(j.file)?.chain;
      if (!chain) continue;
      if (
        j.chain === 'chained' &&
        chain.state === 'chained' &&
        (chain.blocks !== j.blocks || chain.head !== j.head)
      )
        bad.push(
          `MISMATCH ${j.file}: has ${chain.blocks} sealed blocks, the manifest recorded ${j.blocks} (blocks removed or added)`,
        );
    }
  }
  let records = 0;
  let journals = 0;
  for (const [name, f] of found) {
    if (!f.chain) continue;
    journals++;
    records += f.chain.sealed;
    for (const p of f.chain.problems) bad.push(`MISMATCH ${name}: ${p.message}`);
  }
  if (bad.length > 0) return { ok: false, lines: bad };
  const files = found.size;
  return {
    ok: true,
    lines: [
      `OK ${basename(path)}: ${files} files match the manifest (SHA-256 ${manifest?.manifest_sha256 ?? ''}); ` +
        `${journals} journal${journals === 1 ? '' : 's'} with ${records.toLocaleString('en-US')} sealed records unchanged`,
    ],
  };
}

/** Checks one journal file's hash chain (a capture folder's journal.ndjson). */
export async function verifyJournal(path: string): Promise<VerifyResult> {
  const r = await verifyJournalFile(path);
  if (r.state === 'broken')
    return { ok: false, lines: r.problems.map((p) => `MISMATCH ${basename(path)}: ${p.message}`) };
  return { ok: true, lines: [`OK ${basename(path)}: ${describeChain(r)}`] };
}

/** Checks a bundle (.zip) or a journal (anything else). */
export function verifyPath(path: string): Promise<VerifyResult> {
  return path.toLowerCase().endsWith('.zip') ? verifyBundle(path) : verifyJournal(path);
}
