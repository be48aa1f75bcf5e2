/**
 * `npm run verify` through the built CLI: every case the evidence issue named, each with its exit code
 * (docs/EVIDENCE.md): 0 vouched for, 1 changed or not matching, 2 cannot vouch, 3 not evidence. Journals
 * and bundles come from the built headless service with real DNS, or from the journal writer itself where a
 * full disk has to be simulated.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, createPrivateKey, createPublicKey } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockHasher, GENESIS, sealLine } from '../../electron/engine/capture/chain';
import { JournalWriter } from '../../electron/engine/capture/journal';
import { exchange, journalLine } from '../../electron/engine/capture/test-support';
import { keyFingerprint } from '../../electron/engine/export/install-key';
import { manifestText, type Manifest } from '../../electron/engine/export/manifest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');

function verify(...args: string[]): { code: number | null; out: string; lines: string[] } {
  const r = spawnSync(process.execPath, [VERIFY, ...args], { encoding: 'utf8', cwd: ROOT });
  const out = `${r.stdout}${r.stderr}`;
  return { code: r.status, out, lines: out.trimEnd().split('\n') };
}

type Files = Record<string, Uint8Array>;

/** What a forger does: change files, rehash the manifest, and sign it with `key` (or not at all). */
function rebuild(files: Files, key: 'install' | 'other' | 'none', installPem: string): Files {
  const out: Files = { ...files };
  const old = JSON.parse(strFromU8(files['manifest.json']!)) as Manifest;
  const { manifest_sha256: _m, signed_by: _s, ...rest } = old;
  const privateKey =
    key === 'install'
      ? createPrivateKey(installPem)
      : key === 'other'
        ? generateKeyPairSync('ed25519').privateKey
        : null;
  const raw = privateKey
    ? Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url')
    : null;
  const text = manifestText({
    ...rest,
    files: old.files.map((f) =>
      out[f.name]
        ? {
            ...f,
            bytes: out[f.name]!.length,
            sha256: createHash('sha256').update(out[f.name]!).digest('hex'),
          }
        : f,
    ),
    ...(raw
      ? {
          signed_by: {
            algorithm: 'Ed25519' as const,
            public_key: raw.toString('base64'),
            fingerprint: keyFingerprint(raw),
          },
        }
      : {}),
  });
  out['manifest.json'] = strToU8(text);
  if (privateKey)
    out['manifest.sig'] = strToU8(`${sign(null, Buffer.from(text), privateKey).toString('base64')}\n`);
  else delete out['manifest.sig'];
  return out;
}

describe('npm run verify', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let tmp: string;
  let journal = '';
  let bundle: Files = {};
  let installPem = '';
  let fingerprint = '';

  async function write(name: string, content: string | Uint8Array): Promise<string> {
    const file = path.join(tmp, name);
    await writeFile(file, content);
    return file;
  }

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dnsw-verify-'));
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { args: ['--router', '127.0.0.3'] });
    for (let i = 0; i < 30; i++)
      await dig(served.dnsPort, `n${i}.wild.example.test`, i % 2 ? 'A' : 'AAAA', [
        '-b',
        `127.0.0.${1 + (i % 3)}`,
      ]);
    await waitFor(
      async () =>
        ((await (await fetch(`${served.base}/api/queries?limit=1`)).json()) as { total: number }).total >=
          30 || undefined,
      5000,
      '30 recorded queries',
    );
    const [id] = await readdir(path.join(served.dataDir, 'captures'));
    journal = path.join(served.dataDir, 'captures', id!, 'journal.ndjson');
    const res = await fetch(`${served.base}/api/evidence.zip`);
    expect(res.status).toBe(200);
    bundle = unzipSync(new Uint8Array(await res.arrayBuffer()));
    installPem = await readFile(path.join(served.dataDir, 'install-key.pem'), 'utf8');
    fingerprint = (
      (await (await fetch(`${served.base}/api/rpc/evidence:key`, { method: 'POST', body: '{}' })).json()) as {
        result: { fingerprint: string };
      }
    ).result.fingerprint;
  });

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exits 3 for a missing path, a file that is no journal, and a zip that is no bundle', async () => {
    const missing = verify(path.join(tmp, 'no-such', 'journal.ndjson'));
    expect(missing.code, missing.out).toBe(3);
    expect(missing.lines).toEqual(['UNREADABLE journal.ndjson: no such file']);
    const passwd = verify('/etc/passwd');
    expect(passwd.code, passwd.out).toBe(3);
    expect(passwd.lines[0]).toMatch(
      /^UNREADABLE passwd: not a DNS Witness journal \(none of its \d+ lines is a record or a seal\)$/,
    );
    const notZip = verify(await write('fake.zip', 'PK but not really'));
    expect(notZip.code, notZip.out).toBe(3);
    expect(notZip.lines[0]).toMatch(/^UNREADABLE fake\.zip: not an evidence bundle/);
    const otherZip = verify(await write('other.zip', zipSync({ 'a.txt': strToU8('hello') })));
    expect(otherZip.code, otherZip.out).toBe(3);
    expect(otherZip.lines).toEqual([
      'UNREADABLE other.zip: not an evidence bundle (a zip without manifest.json)',
    ]);
    expect(verify().code).toBe(3);
  });

  it('exits 2 for a running capture, a journal cut short, and one whose seals were removed', async () => {
    await waitFor(
      async () =>
        (await readFile(journal, 'utf8')).trimEnd().split('\n').at(-1)!.startsWith('{"chain"')
          ? true
          : undefined,
      3000,
      'the journal to end with a seal',
    );
    const open = verify(journal);
    expect(open.code, open.out).toBe(2);
    expect(open.lines).toHaveLength(1);
    expect(open.lines[0]).toMatch(/^UNVERIFIED journal\.ndjson: open: the capture is still running/);

    const text = await readFile(journal, 'utf8');
    // Away from its capture.json: nothing says the capture runs, so a cut after a seal is "no closing seal".
    const sealedLines = text.trimEnd().split('\n');
    const afterSeal = sealedLines.findLastIndex(
      (l, i) => l.startsWith('{"chain"') && i < sealedLines.length - 1,
    );
    const atSeal = verify(
      await write('at-seal.ndjson', `${sealedLines.slice(0, afterSeal + 1).join('\n')}\n`),
    );
    expect(atSeal.code, atSeal.out).toBe(2);
    expect(atSeal.lines[0]).toMatch(
      /^UNVERIFIED at-seal\.ndjson: no closing seal: the journal ends after record \d+/,
    );

    const half = verify(await write('half.ndjson', text.slice(0, Math.floor(text.length / 2))));
    expect(half.code, half.out).toBe(2);
    // Where the half falls depends on how the service's writes were batched: after whole unsealed records,
    // or inside the first line after a seal; either is named, and neither is OK.
    expect(half.out).toMatch(
      /UNVERIFIED half\.ndjson: (records? \d+(–\d+)? \(\d+ lines?\) after the last seal are not sealed|the last line is cut off: \d+ bytes)/,
    );
    const most = verify(await write('most.ndjson', text.slice(0, Math.floor(text.length * 0.97))));
    expect(most.code, most.out).toBe(2);
    expect(most.out).toContain('no closing seal');

    const unsealed = text
      .split('\n')
      .filter((l) => !l.startsWith('{"chain"'))
      .join('\n')
      .replace('n3.wild.example.test', 'n3.wilb.example.test');
    const noSeals = verify(await write('no-seals.ndjson', unsealed));
    expect(noSeals.code, noSeals.out).toBe(2);
    expect(noSeals.lines).toEqual([
      'UNVERIFIED no-seals.ndjson: 30 records and no seal: written before journals were sealed, or its seals were removed; nothing shows they are unchanged or complete',
    ]);
  });

  it('exits 2 naming the queries a full disk cost, as the journal sealed them', async () => {
    const dir = path.join(tmp, 'full-disk');
    await mkdir(dir);
    const blocker = path.join(dir, 'capture');
    await writeFile(blocker, 'a file where the capture folder should be');
    const file = path.join(blocker, 'journal.ndjson');
    const line = (seq: number): string =>
      journalLine(
        seq,
        '2026-11-23T01:45:01.000Z',
        'cap-1',
        exchange({ ts: Date.UTC(2026, 10, 23, 1, 45, seq) }, seq),
      );
    const w = new JournalWriter({
      path: file,
      maxUnwrittenBytes: 3 * (line(1).length + 1),
      onWarning: () => undefined,
      chained: true,
    });
    for (let seq = 1; seq <= 10; seq++) w.append(line(seq), seq, Date.UTC(2026, 10, 23, 1, 45, seq));
    await w.flush();
    await rm(blocker);
    await w.flush();
    w.append(line(11), 11, Date.UTC(2026, 10, 23, 1, 45, 11));
    await w.close();
    const r = verify(file);
    expect(r.code, r.out).toBe(2);
    expect(r.lines).toEqual([
      "UNVERIFIED journal.ndjson: 7 queries not saved between 2026-11-23T01:45:04.000Z and 2026-11-23T01:45:10.000Z (records 4–10): the disk refused them while recording, as the journal's sealed loss line says",
    ]);
  });

  it('exits 2 for a journal in the format before counts and closing seals', async () => {
    let prev = GENESIS;
    const out: string[] = [];
    for (let b = 0; b < 2; b++) {
      const lines = [1, 2].map((i) =>
        journalLine(b * 2 + i, '2026-11-23T01:45:01.000Z', 'cap-1', exchange({}, b * 2 + i)),
      );
      const hasher = new BlockHasher(prev);
      hasher.update(Buffer.from(lines.map((l) => `${l}\n`).join('')));
      const seal = { n: b + 1, from: b * 2 + 1, to: b * 2 + 2, lines: 2, count: null, closed: false };
      prev = hasher.finish(seal);
      out.push(...lines, sealLine({ ...seal, sha256: prev }));
    }
    const r = verify(await write('old.ndjson', `${out.join('\n')}\n`));
    expect(r.code, r.out).toBe(2);
    expect(r.lines).toEqual([
      'UNVERIFIED old.ndjson: no closing seal (written before journals were closed with one): cannot tell whether records after record 4 are missing; 4 records in 2 sealed blocks unchanged',
    ]);
  });

  it('exits 1 when the CSV, the pcap or a device column was changed, even with the manifest re-signed', async () => {
    const ok = verify(await write('bundle.zip', zipSync(bundle)));
    expect(ok.code, ok.out).toBe(0);
    expect(ok.lines).toHaveLength(1);
    expect(ok.lines[0]).toContain(`signed by install key ${fingerprint}`);

    // An insider with the install key: only deriving the CSV from the sealed journal again can tell.
    const csv = strFromU8(bundle['queries.csv']!);
    const forged = rebuild(
      { ...bundle, 'queries.csv': strToU8(csv.replace('n7.wild.example.test', 'n7.mild.example.test')) },
      'install',
      installPem,
    );
    const r = verify(await write('csv.zip', zipSync(forged)));
    expect(r.code, r.out).toBe(1);
    expect(r.lines).toEqual([
      expect.stringMatching(
        /^MISMATCH queries\.csv: row 8 does not match sealed record \d+: qname is "n7\.mild\.example\.test", the journal says "n7\.wild\.example\.test"$/,
      ),
    ]);

    // The device columns are not in the journal: they must match the signed manifest's device table.
    const rows = csv.split('\r\n');
    const at = rows.findIndex((r) => r.split(',')[1] === '127.0.0.3');
    const cells = rows[at]!.split(',');
    const was = cells[8]!;
    cells[8] = 'My router';
    rows[at] = cells.join(',');
    const device = rebuild({ ...bundle, 'queries.csv': strToU8(rows.join('\r\n')) }, 'install', installPem);
    const d = verify(await write('device.zip', zipSync(device)));
    expect(d.code, d.out).toBe(1);
    expect(d.lines).toEqual([
      `MISMATCH queries.csv: row ${at} (127.0.0.3): device "My router" differs from the device table in the signed manifest (${JSON.stringify(was)})`,
    ]);

    const pcap = Uint8Array.from(bundle['dns.pcap']!);
    pcap[pcap.length - 3] = pcap[pcap.length - 3]! ^ 0x20;
    const p = verify(
      await write('pcap.zip', zipSync(rebuild({ ...bundle, 'dns.pcap': pcap }, 'install', installPem))),
    );
    expect(p.code, p.out).toBe(1);
    expect(p.lines).toEqual([
      expect.stringMatching(/^MISMATCH dns\.pcap: packet \d+ differs from what sealed record \d+ gives$/),
    ]);
  });

  it('fails a bundle rebuilt without the install key', async () => {
    const csv = strFromU8(bundle['queries.csv']!).replace('n7.wild', 'n7.mild');
    const changed = { ...bundle, 'queries.csv': strToU8(csv) };
    const unsigned = rebuild(changed, 'none', installPem);
    // Looks like a bundle from before signing: not OK, and it names what it cannot vouch for.
    const u = verify(await write('unsigned.zip', zipSync(unsigned)));
    expect(u.code, u.out).toBe(1);
    expect(u.out).toContain('UNVERIFIED manifest.json: not signed');
    const noSig = { ...bundle };
    delete noSig['manifest.sig'];
    const m = verify(await write('no-sig.zip', zipSync(noSig)));
    expect(m.code, m.out).toBe(1);
    expect(m.lines).toEqual([
      `MISMATCH manifest.sig: missing: the manifest names install key ${fingerprint} but carries no signature (rebuilt without the key)`,
    ]);
    const stale = verify(
      await write(
        'stale-sig.zip',
        zipSync({ ...rebuild(changed, 'install', installPem), 'manifest.sig': bundle['manifest.sig']! }),
      ),
    );
    expect(stale.code, stale.out).toBe(1);
    expect(stale.out).toContain(
      `MISMATCH manifest.sig: is not install key ${fingerprint}'s signature of this manifest.json`,
    );
    const other = await write('other-key.zip', zipSync(rebuild(bundle, 'other', installPem)));
    const o = verify('--key', fingerprint.replace(/ /g, ''), other);
    expect(o.code, o.out).toBe(1);
    expect(o.lines[0]).toMatch(
      new RegExp(
        `^MISMATCH manifest\\.sig: signed by install key [0-9a-f ]+, not by the expected ${fingerprint}$`,
      ),
    );
    expect(verify('--key', fingerprint, path.join(tmp, 'bundle.zip')).code).toBe(0);
  });

  it('exits 2 for a bundle in the format before signing and derivation', async () => {
    const old = JSON.parse(strFromU8(bundle['manifest.json']!)) as Manifest;
    const { manifest_sha256: _m, signed_by: _s, derived: _d, ...rest } = old;
    const files: Files = {
      ...bundle,
      'manifest.json': strToU8(
        manifestText({
          ...rest,
          journals: rest.journals.map(({ file, capture, chain, records, blocks, head }) => ({
            file,
            capture,
            chain,
            records,
            blocks,
            head,
          })),
        }),
      ),
    };
    delete files['manifest.sig'];
    const r = verify(await write('old.zip', zipSync(files)));
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('UNVERIFIED manifest.json: not signed');
    expect(r.out).toContain('UNVERIFIED queries.csv: not compared with the journal records');
    expect(r.out).toContain('UNVERIFIED dns.pcap: not compared with the journal records');
    expect(r.out).toMatch(/UNVERIFIED journal\/[^:]+\.ndjson: no closing seal/);
  });

  it('verifies on another machine: no path of this one inside, and 0 once the capture is stopped and closed', async () => {
    const stop = await fetch(`${served.base}/api/rpc/capture:stop`, { method: 'POST', body: '{}' });
    expect(stop.status).toBe(200);
    const closed = verify(journal);
    expect(closed.code, closed.out).toBe(0);
    expect(closed.lines[0]).toMatch(
      /^OK journal\.ndjson: intact and closed: 30 records in \d+ sealed blocks, none changed after capture, none missing$/,
    );

    const res = await fetch(`${served.base}/api/evidence.zip`);
    const zip = Buffer.from(await res.arrayBuffer());
    for (const [name, content] of Object.entries(unzipSync(new Uint8Array(zip)))) {
      const text = Buffer.from(content).toString('latin1');
      expect(text, name).not.toContain(served.dataDir);
      expect(text, name).not.toContain(ROOT);
      expect(text, name).not.toContain(os.homedir());
    }
    // Elsewhere: another folder, another working directory, another HOME, no data folder.
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'dnsw-elsewhere-'));
    try {
      const file = path.join(elsewhere, 'received.zip');
      await writeFile(file, zip);
      await copyFile(file, path.join(elsewhere, 'copy.zip'));
      const r = spawnSync(process.execPath, [path.join(ROOT, 'out', 'main', 'verify.js'), 'copy.zip'], {
        encoding: 'utf8',
        cwd: elsewhere,
        env: { PATH: process.env.PATH ?? '', HOME: elsewhere },
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `^OK copy\\.zip: 7 files match the manifest .*signed by install key ${fingerprint}; 1 journal with 30 sealed records unchanged and complete`,
        ),
      );
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('vouches for a bundle with a capture that started but has nothing on disk yet', async () => {
    const start = await fetch(`${served.base}/api/rpc/capture:start`, { method: 'POST', body: '{}' });
    expect(start.status).toBe(200);
    const res = await fetch(`${served.base}/api/evidence.zip`);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).filter((n) => n.startsWith('journal/'))).toHaveLength(2);
    const r = verify(await write('fresh.zip', zipSync(files)));
    expect(r.code, r.out).toBe(0);
    expect(r.lines[0]).toMatch(/2 journals with 30 sealed records unchanged and complete/);
  });
});
