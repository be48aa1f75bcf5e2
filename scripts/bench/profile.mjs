// Reads a V8 .cpuprofile (node --cpu-prof) and lists where the CPU time went, by function self time.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Top `limit` functions by self time in a .cpuprofile file: [{ name, where, ms, share }], where share
 * is the fraction of the busy (non-idle) time. Idle time is left out; GC and "(program)" stay in.
 */
export function topSelfTime(file, limit = 15) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const byFunction = new Map();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const cf = nodeById.get(id)?.callFrame;
    if (!cf || cf.functionName === '(idle)') continue;
    busyUs += us;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\u0000${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, us]) => {
      const [name, where] = key.split('\u0000');
      return { name, where, ms: us / 1000, share: us / busyUs };
    });
}
