// Debian's Chromium driven by playwright-core: the dashboard page, its renderer's metrics over CDP, an
// optional CPU profile, and the CPU time of every Chromium process.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { installProbe, PROBE_CAP } from './page-probe.mjs';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Launches Chromium and opens a 1280×800 page with the probe installed (see page-probe.mjs). Playwright's
 * own exit handler kills the browser and removes its profile folder if this process ends abruptly.
 */
export async function openDashboardPage({ markerRe }) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ARGS,
    // Our own handlers stop the servers; Playwright's exit hook still kills the browser on any exit.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
    const page = await context.newPage();
    await page.addInitScript(installProbe, { markerRe, cap: PROBE_CAP });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const browserCdp = await browser.newBrowserCDPSession();
    return { browser, page, cdp, browserCdp };
  } catch (err) {
    await browser.close().catch(() => {});
    throw err;
  }
}

/** The renderer's Performance.getMetrics as a plain object (JSHeapUsedSize, TaskDuration, Nodes, …). */
export async function rendererMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/** Runs a full garbage collection in the page, so a heap reading shows what is retained. */
export async function collectGarbage(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
}

/** CPU seconds used so far by each kind of Chromium process (browser, renderer, GPU, utility). */
export async function chromiumCpuByType(browserCdp) {
  try {
    const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
    const byType = {};
    for (const p of processInfo) byType[p.type] = (byType[p.type] ?? 0) + p.cpuTime;
    return byType;
  } catch {
    return null;
  }
}

/** Starts the V8 sampling profiler in the page (1 ms interval). */
export async function startProfile(cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
}

/** Stops the profiler and writes the .cpuprofile to `file`. */
export async function stopProfile(cdp, file) {
  const { profile } = await cdp.send('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  await cdp.send('Profiler.disable');
}

/** Pids of every live descendant of `pid` (from /proc), e.g. all Chromium processes under this one. */
export function descendants(pid) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [child, pp] of parent)
      if (pp === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}
