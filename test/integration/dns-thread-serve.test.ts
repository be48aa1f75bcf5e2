/**
 * `serve` with DNS on its own thread: answers while the main thread is kept busy on purpose, the records
 * still reach the API, a DNS thread that dies is started again, and a SIGKILL leaves a journal that verifies.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalText } from '../../electron/engine/capture/test-support';
import type { Health } from '../../shared/health';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const VERIFY = path.resolve(import.meta.dirname, '../../out/main/verify.js');

let upstream: Dnsmasq | null = null;
let served: Served | null = null;
let hooksDir = '';

afterEach(async () => {
  await served?.stop('SIGKILL');
  if (served) await removeDir(served.dataDir);
  served = null;
  await upstream?.stop();
  upstream = null;
  if (hooksDir) await rm(hooksDir, { recursive: true, force: true });
  hooksDir = '';
});

/** serve with the test hooks on; `hook(action)` makes it do `action` (test-hooks.ts). */
async function startWithHooks() {
  hooksDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-hooks-'));
  const file = path.join(hooksDir, 'hook');
  upstream = await startDnsmasq();
  served = await startServe(upstream.port, { env: { DNS_WITNESS_TEST_HOOKS: file } });
  const hook = async (action: 'busy' | 'throw' | 'exit') => {
    await writeFile(file, action);
    served!.child.kill('SIGUSR2');
  };
  return { served, hook, release: () => writeFile(`${file}.release`, '') };
}

async function recorded(base: string, qname: string): Promise<boolean> {
  const r = await fetch(`${base}/api/queries?limit=1000&name=${encodeURIComponent(qname)}`);
  const body = (await r.json()) as { events: { qname: string }[] };
  return body.events.some((e) => e.qname === qname);
}

/** The captures of a data folder, oldest first, each with its journal's path. */
async function capturesInOrder(dataDir: string): Promise<{ id: string; journal: string }[]> {
  const dir = path.join(dataDir, 'captures');
  const found: { id: string; journal: string; startedAt: number }[] = [];
  for (const id of await readdir(dir)) {
    if (id.endsWith('.json')) continue;
    const meta = JSON.parse(await readFile(path.join(dir, id, 'capture.json'), 'utf8')) as {
      startedAt: number;
    };
    found.push({ id, journal: path.join(dir, id, 'journal.ndjson'), startedAt: meta.startedAt });
  }
  return found.sort((a, b) => a.startedAt - b.startedAt);
}

/** The seqs of the records a seal of the journal text covers. */
function sealedSeqs(text: string): Set<number> {
  const out = new Set<number>();
  let block: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('{"chain":')) {
      for (const seq of block) out.add(seq);
      block = [];
    } else if (line.startsWith('{"seq":')) block.push((JSON.parse(line) as { seq: number }).seq);
  }
  return out;
}

/** Each thread of process `pid` with its nice value (/proc/PID/task/TID/stat, field 19). */
async function threadNices(pid: number): Promise<{ tid: number; nice: number }[]> {
  const out: { tid: number; nice: number }[] = [];
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    // The command name, in parentheses, may hold spaces: the fields are counted after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length > 17) out.push({ tid: Number(tid), nice: Number(fields[16]) });
  }
  return out;
}

async function health(base: string): Promise<Health> {
  return (await (await fetch(`${base}/api/health`)).json()) as Health;
}

describe('serve with DNS on its own thread', () => {
  it('answers while the main thread is busy, and the records reach the API once it is free', async () => {
    const { served: s, hook, release } = await startWithHooks();
    await hook('busy');
    await waitFor(
      () => (s.output().includes('main thread busy') ? true : undefined),
      10_000,
      'the busy main thread',
    );
    const answer = await dig(s.dnsPort, 'www.example.test', 'A', ['+short']);
    expect(answer.stdout.trim()).toBe('192.0.2.10');
    // The main thread is still spinning: it is released only below, so the answer came from the DNS thread.
    expect(s.output()).not.toContain('main thread free');
    await release();
    await waitFor(
      () => (s.output().includes('main thread free') ? true : undefined),
      10_000,
      'the main thread',
    );
    await waitFor(
      async () => ((await recorded(s.base, 'www.example.test')) ? true : undefined),
      10_000,
      'the record',
    );
    expect((await health(s.base)).problems).toEqual([]);
  });

  it('runs the DNS thread ahead of every other thread of the process, and a restarted one too', async (ctx) => {
    if (process.platform !== 'linux') {
      console.log('[dns-thread-serve] skipped: a nice value per thread is Linux only');
      ctx.skip();
    }
    const { served: s, hook } = await startWithHooks();
    await dig(s.dnsPort, 'before.wild.example.test', 'A');
    const pid = s.child.pid!;
    // The DNS thread keeps the nice the process started with; every other thread, the main one first, is
    // PRIORITY_GAP (10) steps lower.
    const before = await waitFor(
      async () => {
        const t = await threadNices(pid);
        return t.filter((x) => x.nice === Math.min(...t.map((y) => y.nice))).length === 1 &&
          t.find((x) => x.tid === pid)!.nice > Math.min(...t.map((y) => y.nice))
          ? t
          : undefined;
      },
      10_000,
      'one thread ahead of the others',
    );
    const base = Math.min(...before.map((t) => t.nice));
    const dns = before.find((t) => t.nice === base)!.tid;
    expect(dns).not.toBe(pid);
    for (const t of before)
      if (t.tid !== dns) expect(t.nice, `thread ${t.tid}`).toBe(Math.min(19, base + 10));
    // The thread at the front is the DNS thread: it is the one that goes when the DNS thread dies. Its
    // successor, made by the lowered main thread, starts at their nice, and the others make room below it.
    await hook('exit');
    const after = await waitFor(
      async () => {
        const t = await threadNices(pid);
        if (t.some((x) => x.tid === dns)) return undefined;
        const front = Math.min(...t.map((y) => y.nice));
        return t.filter((x) => x.nice === front).length === 1 && front === Math.min(19, base + 10)
          ? t
          : undefined;
      },
      10_000,
      'the restarted DNS thread ahead of the others',
    );
    for (const t of after)
      if (t.nice !== Math.min(19, base + 10)) expect(t.nice, `thread ${t.tid}`).toBe(Math.min(19, base + 20));
    const r = await dig(s.dnsPort, 'after.wild.example.test', 'A', ['+short', '+time=1']);
    expect(r.stdout.trim()).toBe('192.0.2.99');
  });

  for (const how of ['throw', 'exit'] as const)
    it(`starts a DNS thread that died (${how}) again, says so in health, and goes on in a new capture; both journals verify`, async () => {
      const { served: s, hook } = await startWithHooks();
      await dig(s.dnsPort, 'before.wild.example.test', 'A');
      await waitFor(
        async () => ((await recorded(s.base, 'before.wild.example.test')) ? true : undefined),
        10_000,
        'the first record',
      );
      // Sealed before the thread dies (what is not sealed yet may die with it).
      const [before] = await capturesInOrder(s.dataDir);
      await waitFor(
        async () => (sealedSeqs(await journalText(before!.journal)).size > 0 ? true : undefined),
        10_000,
        'the seal of the first record',
      );
      await hook(how);
      const h = await waitFor(
        async () => {
          const now = await health(s.base);
          return now.problems.some((p) => p.code === 'dns-thread-restarted') ? now : undefined;
        },
        10_000,
        'the restart in /api/health',
      );
      expect(h.ok).toBe(true);
      await waitFor(
        async () => {
          const r = await dig(s.dnsPort, 'after.wild.example.test', 'A', ['+short', '+time=1']);
          return r.stdout.trim() === '192.0.2.99' ? true : undefined;
        },
        10_000,
        'an answer from the new DNS thread',
      );
      await waitFor(
        async () => ((await recorded(s.base, 'after.wild.example.test')) ? true : undefined),
        10_000,
        'the record after',
      );
      expect(await s.stop()).toBe(0);
      served = null;
      // The journal the dead thread wrote is not continued: recording went on in a new capture.
      const [first, second] = await capturesInOrder(s.dataDir);
      expect(second).toBeDefined();
      // Ended as a kill would end it: verify vouches for every sealed record and, rightly, cannot say whether
      // records the thread had not sealed yet died with it (exit 2, not 1: nothing changed).
      const v1 = spawnSync(process.execPath, [VERIFY, first!.journal], { encoding: 'utf8' });
      const said = `${v1.stdout}${v1.stderr}`;
      expect(v1.status, said).toBe(2);
      expect(said).toContain('no closing seal');
      expect(said).toMatch(/\d+ records? in \d+ sealed blocks? unchanged/);
      expect(said).not.toContain('MISMATCH');
      expect(await journalText(first!.journal)).toContain('before.wild.example.test');
      // The new one was stopped cleanly with the service: it verifies whole.
      const v2 = spawnSync(process.execPath, [VERIFY, second!.journal], { encoding: 'utf8' });
      expect(v2.status, `${v2.stdout}${v2.stderr}`).toBe(0);
      expect(await journalText(second!.journal)).toContain('after.wild.example.test');
      await removeDir(s.dataDir);
    });

  it('journals and seals on the DNS thread while the main thread is busy: a SIGKILL then keeps those records', async () => {
    const { served: s, hook } = await startWithHooks();
    await dig(s.dnsPort, 'first.wild.example.test', 'A');
    await waitFor(
      async () => ((await recorded(s.base, 'first.wild.example.test')) ? true : undefined),
      10_000,
      'the first record',
    );
    const [capture] = await capturesInOrder(s.dataDir);
    await hook('busy');
    await waitFor(
      () => (s.output().includes('main thread busy') ? true : undefined),
      10_000,
      'the busy main thread',
    );
    const n = 20;
    for (let i = 0; i < n; i++) await dig(s.dnsPort, `busy${i}.wild.example.test`, 'A');
    // Written and sealed with the main thread still spinning: it is never released in this test.
    const sealed = await waitFor(
      async () => {
        const seqs = sealedSeqs(await journalText(capture!.journal));
        return seqs.size >= n + 1 ? seqs : undefined;
      },
      10_000,
      'the seals of the queries made while the main thread was busy',
    );
    expect(s.output()).not.toContain('main thread free');
    expect(await s.stop('SIGKILL')).toBe('SIGKILL');
    served = null;
    const text = await journalText(capture!.journal);
    for (let i = 0; i < n; i++) expect(text).toContain(`"qname":"busy${i}.wild.example.test"`);
    expect(sealedSeqs(text).size).toBe(sealed.size);
    const v = spawnSync(process.execPath, [VERIFY, capture!.journal], { encoding: 'utf8' });
    const said = `${v.stdout}${v.stderr}`;
    expect(v.status, said).toBe(2);
    expect(said).toContain(`${n + 1} records in`);
    expect(said).toContain('unchanged so far');
    await removeDir(s.dataDir);
  });

  it('keeps writing the same journal when a settings save replaces the forwarder', async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port);
    const s = served;
    await dig(s.dnsPort, 'old.wild.example.test', 'A');
    const rpc = async <T>(channel: string, args?: unknown): Promise<T> => {
      const r = await fetch(`${s.base}/api/rpc/${channel}`, {
        method: 'POST',
        body: JSON.stringify({ args }),
      });
      const body = await r.text();
      expect(r.status, body).toBe(200);
      return (JSON.parse(body) as { result: T }).result;
    };
    const view = await rpc<{ effective: Record<string, unknown> }>('config:get');
    // A range allowed besides the defaults: the forwarder is replaced inside the DNS thread.
    const saved = await rpc<{ ok: boolean; applied?: string[] }>('config:save', {
      ...view.effective,
      allow: ['192.0.2.0/24'],
    });
    expect(saved.ok).toBe(true);
    expect(saved.applied).toContain('allow');
    await waitFor(
      async () => {
        const r = await dig(s.dnsPort, 'new.wild.example.test', 'A', ['+short', '+time=1']);
        return r.stdout.trim() === '192.0.2.99' ? true : undefined;
      },
      10_000,
      'an answer from the new forwarder',
    );
    await waitFor(
      async () => ((await recorded(s.base, 'new.wild.example.test')) ? true : undefined),
      10_000,
      'the record after the save',
    );
    expect((await health(s.base)).problems).toEqual([]);
    expect(await s.stop()).toBe(0);
    served = null;
    const captures = await capturesInOrder(s.dataDir);
    expect(captures).toHaveLength(1);
    const text = await journalText(captures[0]!.journal);
    expect(text).toContain('"qname":"old.wild.example.test"');
    expect(text).toContain('"qname":"new.wild.example.test"');
    const v = spawnSync(process.execPath, [VERIFY, captures[0]!.journal], { encoding: 'utf8' });
    expect(v.status, `${v.stdout}${v.stderr}`).toBe(0);
    await removeDir(s.dataDir);
  });

  it('keeps what was sealed through a SIGKILL, and verify vouches for every sealed record', async () => {
    const { served: s } = await startWithHooks();
    const n = 30;
    for (let i = 0; i < n; i++) await dig(s.dnsPort, `k${i}.wild.example.test`, 'A');
    await waitFor(
      async () => ((await recorded(s.base, `k${n - 1}.wild.example.test`)) ? true : undefined),
      10_000,
      'the last record',
    );
    // Seals follow every written block within 250 ms: wait until the last query is sealed, then kill.
    const captures = await readdir(path.join(s.dataDir, 'captures'));
    const journal = path.join(
      s.dataDir,
      'captures',
      captures.find((c) => !c.endsWith('.json'))!,
      'journal.ndjson',
    );
    await waitFor(
      async () => ((await readFile(journal, 'utf8')).includes(`"to":${n},`) ? true : undefined),
      10_000,
      'the seal of the last query',
    );
    expect(await s.stop('SIGKILL')).toBe('SIGKILL');
    served = null;
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('{"chain":'))).toHaveLength(n);
    // Killed while running: exit 2 (not 1, which means changed): every sealed record is vouched for, and
    // nothing can be said about what a kill may have cut after the last seal.
    const v = spawnSync(process.execPath, [VERIFY, journal], { encoding: 'utf8' });
    const said = `${v.stdout}${v.stderr}`;
    expect(v.status, said).toBe(2);
    expect(said).toContain(`${n} records in`);
    expect(said).toContain('unchanged so far');
    await removeDir(s.dataDir);
  });
});
