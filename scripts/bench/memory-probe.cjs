// Preloaded into the service by history-memory.mjs (`node -r`): on SIGUSR2 it appends one JSON line of where
// the memory is to $MEMORY_PROBE_OUT, and with --expose-gc a second one after two full collections.
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');

const MB = 1024 * 1024;

/** kB figures of /proc/self/smaps: the whole (smaps_rollup) and the glibc heap ([heap], the brk area). */
function maps() {
  const out = { brkKb: 0 };
  for (const line of fs.readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  let name = '';
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) name = line.split(/\s+/)[5] ?? '';
    else if (name === '[heap]' && line.startsWith('Rss:')) out.brkKb += Number(line.split(/\s+/)[1]);
  }
  return out;
}

function sample(when) {
  const mu = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const m = maps();
  return {
    when,
    rssMB: Math.round(m.Rss / 1024),
    fileMB: Math.round((m.Rss - m.Anonymous) / 1024),
    brkMB: Math.round(m.brkKb / 1024),
    heapTotalMB: Math.round(heap.total_heap_size / MB),
    heapUsedMB: Math.round(mu.heapUsed / MB),
    externalMB: Math.round(mu.external / MB),
    arrayBuffersMB: Math.round(mu.arrayBuffers / MB),
  };
}

process.on('SIGUSR2', () => {
  const lines = [sample('as is')];
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
    lines.push(sample('after full GCs'));
  }
  fs.appendFileSync(process.env.MEMORY_PROBE_OUT, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
