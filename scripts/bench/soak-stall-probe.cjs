// Loaded into DNS Witness by the soak (`node --require`): prints on stderr every event-loop stall of
// STALL_MS or more with the CPU time the process used during it, so the report can tell a loop blocked by
// its own work (CPU close to the stall) from a process the busy machine did not run (little CPU), and line
// stalls up with the garbage collector's pauses from --trace-gc. A bench instrument; the app never loads it.
'use strict';
const { performance } = require('node:perf_hooks');

const STEP_MS = 10;
const STALL_MS = 100;
// The clock origin, for the reader to place --trace-gc's stamps in time: now and every few seconds, so a
// reader that starts listening late still gets it.
const origin = () => process.stderr.write(`soak-stall-origin ${performance.timeOrigin}\n`);
origin();
setInterval(origin, 5000).unref();
let last = performance.now();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage();
  const gap = now - last - STEP_MS;
  if (gap >= STALL_MS) {
    const usedMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    // Same clock origin as --trace-gc's "N ms:" stamps (the process start), give or take a few ms.
    process.stderr.write(`soak-stall ${last.toFixed(0)} ${gap.toFixed(0)} ${usedMs.toFixed(0)}\n`);
  }
  last = now;
  lastCpu = cpu;
}, STEP_MS).unref();
