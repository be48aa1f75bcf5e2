#!/usr/bin/env node
// Asks DNS names on a fixed schedule from one process, so the gaps between queries are what the schedule
// says even on a loaded machine (spawning dig per query drifts by the spawn time). Run it in a network
// namespace (`ip netns exec NS node beacon-client.mjs ...`) to ask as that host.
// Usage: node beacon-client.mjs SERVER PORT PERIOD_MS SOURCE BEATS NAME[@BEAT] ...
//   NAME asks at every beat (0 .. BEATS-1);
//   NAME@I asks once, right after beat I. Prints one JSON line: [{ name, beat, answer, rcode }].
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const [server, portText, periodText, source, beatsText, ...specs] = process.argv.slice(2);
const port = Number(portText);
const period = Number(periodText);
const beats = Number(beatsText);
const every = specs.filter((s) => !s.includes('@'));
const once = specs
  .filter((s) => s.includes('@'))
  .map((s) => ({ name: s.split('@')[0], beat: Number(s.split('@')[1]) }));

const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
await new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.bind({ address: source, port: 0 }, resolve);
});
const waiting = new Map();
socket.on('message', (msg) => {
  const p = dnsPacket.decode(msg);
  const w = waiting.get(p.id);
  if (!w) return;
  waiting.delete(p.id);
  const a = (p.answers ?? []).find((x) => x.type === 'A');
  w({ answer: a ? String(a.data) : '', rcode: p.rcode ?? '' });
});
let nextId = 1;
/** One query; resolves with its answer, or rejects after 3 s without one. */
function ask(name) {
  const id = nextId++;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`no answer to ${name} within 3 s`));
    }, 3000);
    waiting.set(id, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
  socket.send(
    dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    }),
    port,
    server,
  );
  return done;
}

const results = [];
const start = Date.now();
for (let beat = 0; beat < beats; beat++) {
  const wait = start + beat * period - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const pending = every.map((name) => ask(name).then((r) => results.push({ name, beat, ...r })));
  for (const o of once.filter((x) => x.beat === beat))
    pending.push(ask(o.name).then((r) => results.push({ name: o.name, beat, ...r })));
  // Answers are awaited in the background: the next beat never waits for this one.
  void Promise.all(pending).catch((err) => {
    console.error(String(err));
    process.exit(1);
  });
}
// Let the last answers arrive.
while (waiting.size > 0) await new Promise((r) => setTimeout(r, 20));
socket.close();
console.log(JSON.stringify(results));
