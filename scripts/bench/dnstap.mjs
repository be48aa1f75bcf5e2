// `npm run bench -- --dnstap`: the two dnstap targets of docs/BENCHMARKS.md.
//  - out: CPU per query of DNS Witness at a fixed dnsperf rate, with and without --dnstap-out to a reader
//    that drains (Frame Streams handshake, then discards), the two alternating in the same run;
//  - in: how many dnstap messages a second DNS Witness records with --listen none --dnstap-in, pinned to one
//    CPU, from a generator that writes Frame Streams as fast as the socket takes them, counted in the capture.
import net from 'node:net';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { dnstap } from '../../electron/engine/dnstap/proto/dnstap.js';
import { dnsperf } from './dnsperf.mjs';
import { processCpuMeter } from './machine.mjs';
import { startProcess, stopProcess } from './procs.mjs';
import {
  benchRecord,
  fetchPatiently,
  freePort,
  pinned,
  startUpstream,
  startWitness,
  writeBenchData,
} from './servers.mjs';
import { median } from './stats.mjs';

export const DNSTAP_TARGETS = { maxOutOverhead: 0.15, minInMessagesPerSecond: 50_000 };

const CONTENT_TYPE = 'protobuf:dnstap.Dnstap';
const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 };

function controlFrame(type, contentType) {
  const field = contentType ? Buffer.from(contentType) : null;
  const length = 4 + (field ? 8 + field.length : 0);
  const out = Buffer.alloc(8 + length);
  out.writeUInt32BE(length, 4);
  out.writeUInt32BE(type, 8);
  if (field) {
    out.writeUInt32BE(1, 12);
    out.writeUInt32BE(field.length, 16);
    field.copy(out, 20);
  }
  return out;
}

/**
 * A reader that drains: answers READY with ACCEPT and STOP with FINISH, counts data frames, keeps nothing.
 * Runs in the bench process, so what it costs is not DNS Witness's.
 */
function drainingReader(sockPath) {
  let frames = 0;
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let pos = 0;
      while (buf.length - pos >= 4) {
        const len = buf.readUInt32BE(pos);
        if (len === 0) {
          if (buf.length - pos < 12) break;
          const clen = buf.readUInt32BE(pos + 4);
          if (buf.length - pos < 8 + clen) break;
          const type = buf.readUInt32BE(pos + 8);
          if (type === CONTROL.READY) s.write(controlFrame(CONTROL.ACCEPT, CONTENT_TYPE));
          if (type === CONTROL.STOP) s.end(controlFrame(CONTROL.FINISH));
          pos += 8 + clen;
        } else {
          if (buf.length - pos < 4 + len) break;
          frames++;
          pos += 4 + len;
        }
      }
      buf = buf.subarray(pos);
    });
    s.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(sockPath, () =>
      resolve({ frames: () => frames, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}

/** dnstap out: CPU seconds per query with and without an output, `rounds` alternating pairs. */
async function benchOut({ root, tmp, rate, seconds, rounds, serverCpu, loadCpu, log }) {
  const data = writeBenchData(tmp, 1000);
  const probeName = benchRecord(1).name;
  const upstream = await startUpstream({
    dir: tmp,
    conf: data.conf,
    port: await freePort(),
    cpu: null,
    probeName,
  });
  const sock = path.join(tmp, 'reader.sock');
  const reader = await drainingReader(sock);
  const witnesses = {};
  for (const [key, extra] of [
    ['plain', []],
    ['dnstap', ['--dnstap-out', `unix:${sock}`]],
  ]) {
    witnesses[key] = await startWitness({
      root,
      dataDir: path.join(tmp, `witness-${key}`),
      upstreamPort: upstream.port,
      cpu: serverCpu,
      probeName,
      extraArgs: extra,
    });
  }
  const runs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['plain', 'dnstap'] : ['dnstap', 'plain'];
      for (const key of order) {
        const w = witnesses[key];
        const framesBefore = reader.frames();
        const cpu = processCpuMeter(w.proc.pid);
        const r = await dnsperf({
          port: w.port,
          queryFile: data.queries,
          seconds,
          qps: rate,
          clients: 8,
          pin: loadCpu,
        });
        const cpuSeconds = cpu();
        const run = {
          round: round + 1,
          case: key,
          completed: r.completed,
          qps: r.qps,
          cpuSeconds,
          cpuUsPerQuery: (cpuSeconds / r.completed) * 1e6,
          framesToReader: reader.frames() - framesBefore,
        };
        runs.push(run);
        log(
          `dnstap out, round ${run.round}, ${key}: ${run.qps.toFixed(0)} q/s, ${run.cpuUsPerQuery.toFixed(1)} µs CPU per query` +
            (key === 'dnstap' ? `, ${run.framesToReader} messages to the reader` : ''),
        );
      }
    }
  } finally {
    for (const w of Object.values(witnesses)) await stopProcess(w.proc);
    await stopProcess(upstream.proc);
    await reader.close();
  }
  const plain = median(runs.filter((r) => r.case === 'plain').map((r) => r.cpuUsPerQuery));
  const withOut = median(runs.filter((r) => r.case === 'dnstap').map((r) => r.cpuUsPerQuery));
  return { runs, plainUs: plain, dnstapUs: withOut, overhead: withOut / plain - 1 };
}

/** `n` exchanges as client query and response messages (2n data frames), from 16 clients, names n0001.… */
function generatorFrames(n) {
  const identity = Buffer.from('bench-generator');
  const version = Buffer.from('1');
  const out = [];
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < n; i++) {
    const { name, address } = benchRecord((i % 1000) + 1);
    const id = i & 0xffff;
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    });
    const response = dnsPacket.encode({
      type: 'response',
      id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name }],
      answers: [{ type: 'A', name, ttl: 60, data: address }],
    });
    const common = {
      socketFamily: dnstap.SocketFamily.INET,
      socketProtocol: dnstap.SocketProtocol.UDP,
      queryAddress: Buffer.from([192, 168, 1, 10 + (i % 16)]),
      queryPort: 1024 + (i % 60_000),
      queryTimeSec: now,
      queryTimeNsec: (i % 1000) * 1000,
    };
    for (const message of [
      { ...common, type: dnstap.Message.Type.CLIENT_QUERY, queryMessage: query },
      {
        ...common,
        type: dnstap.Message.Type.CLIENT_RESPONSE,
        responseTimeSec: now,
        responseTimeNsec: 500_000,
        responseMessage: response,
      },
    ]) {
      const bytes = dnstap.Dnstap.encode({
        identity,
        version,
        type: dnstap.Dnstap.Type.MESSAGE,
        message,
      }).finish();
      const frame = Buffer.allocUnsafe(4 + bytes.length);
      frame.writeUInt32BE(bytes.length, 0);
      frame.set(bytes, 4);
      out.push(frame);
    }
  }
  return Buffer.concat(out);
}

/** dnstap in: messages a second recorded, DNS Witness pinned to one CPU, the generator on the other. */
async function benchIn({ root, tmp, exchanges, rounds, serverCpu, log }) {
  const frames = generatorFrames(exchanges);
  const messages = exchanges * 2;
  log(
    `dnstap in: ${messages.toLocaleString('en-US')} messages (${(frames.length / 2 ** 20).toFixed(1)} MiB) per run`,
  );
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    const sock = path.join(tmp, `in-${round}.sock`);
    const args = [
      path.join(root, 'out', 'main', 'headless.js'),
      '--listen',
      'none',
      '--dnstap-in',
      `unix:${sock}`,
      '--ui',
      '127.0.0.1:0',
      '--data-dir',
      path.join(tmp, `in-${round}`),
    ];
    const proc = startProcess('DNS Witness (dnstap in)', ...pinned(process.execPath, args, serverCpu));
    try {
      const url = (await proc.waitForLine(/dashboard: (http:\/\/\S+)/, 30_000))[1].replace(/\/$/, '');
      const records = async () =>
        (await (await fetchPatiently(`${url}/api/health`)).json()).dnstap_in?.records ?? 0;
      const cpu = processCpuMeter(proc.pid);
      const t0 = performance.now();
      const socket = net.createConnection({ path: sock });
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      // Unidirectional, as a file or a fire-and-forget sender: START, the frames as fast as they are taken.
      socket.write(controlFrame(CONTROL.START, CONTENT_TYPE));
      for (let pos = 0; pos < frames.length; pos += 1 << 20) {
        if (!socket.write(frames.subarray(pos, pos + (1 << 20))))
          await new Promise((resolve) => socket.once('drain', resolve));
      }
      socket.end(controlFrame(CONTROL.STOP));
      let got = 0;
      while ((got = await records()) < exchanges) {
        if (proc.exitInfo) throw new Error(`DNS Witness exited:\n${proc.tail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpu();
      const run = {
        round: round + 1,
        messages,
        records: got,
        seconds,
        messagesPerSecond: messages / seconds,
        messagesPerCpuSecond: messages / cpuSeconds,
      };
      runs.push(run);
      log(
        `dnstap in, round ${run.round}: ${run.messagesPerSecond.toFixed(0)} messages/s ` +
          `(${run.messagesPerCpuSecond.toFixed(0)} per CPU second), ${got} exchanges recorded`,
      );
    } finally {
      await stopProcess(proc);
    }
  }
  return {
    runs,
    messagesPerSecond: median(runs.map((r) => r.messagesPerSecond)),
    messagesPerCpuSecond: median(runs.map((r) => r.messagesPerCpuSecond)),
  };
}

export async function benchDnstap({ root, tmp, rate, seconds, rounds, exchanges, serverCpu, loadCpu, log }) {
  const out = await benchOut({ root, tmp, rate, seconds, rounds, serverCpu, loadCpu, log });
  const inn = await benchIn({ root, tmp, exchanges, rounds, serverCpu, log });
  return { rate, seconds, rounds, exchanges, out, in: inn };
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;

/**
 * "On one core" is judged by messages per CPU second of the pinned process: on a shared machine the wall
 * clock also counts the time other processes held that core. Both are reported.
 */
export function renderDnstapMarkdown(r) {
  const outOk = r.out.overhead <= DNSTAP_TARGETS.maxOutOverhead;
  const inOk = r.in.messagesPerCpuSecond >= DNSTAP_TARGETS.minInMessagesPerSecond;
  const n = (x) => Math.round(x).toLocaleString('en-US');
  return [
    `| Case | Median | Target | Met |`,
    `| --- | --- | --- | --- |`,
    `| dnstap out at ${n(r.rate)} q/s: CPU per query without → with \`--dnstap-out\` | ${r.out.plainUs.toFixed(1)} → ${r.out.dnstapUs.toFixed(1)} µs (${r.out.overhead >= 0 ? '+' : ''}${pct(r.out.overhead)}) | ≤ +15 % | ${outOk ? 'yes' : 'no'} |`,
    `| dnstap in: messages recorded per CPU second (per wall-clock second) | ${n(r.in.messagesPerCpuSecond)} (${n(r.in.messagesPerSecond)}) | ≥ 50,000 | ${inOk ? 'yes' : 'no'} |`,
    '',
    'Runs (dnstap out): ' +
      r.out.runs
        .map((x) => `${x.round}/${x.case} ${x.cpuUsPerQuery.toFixed(1)} µs at ${n(x.qps)} q/s`)
        .join('; ') +
      '.',
    'Runs (dnstap in): ' +
      r.in.runs
        .map(
          (x) =>
            `${x.round}: ${n(x.messages)} messages in ${x.seconds.toFixed(2)} s = ${n(x.messagesPerSecond)}/s, ${n(x.messagesPerCpuSecond)} per CPU second`,
        )
        .join('; ') +
      '.',
    '',
  ].join('\n');
}
