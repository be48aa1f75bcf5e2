// What the benchmark installs in the dashboard page before its own scripts run: a MutationObserver that
// notes when query-log rows reach the DOM, and observers for long tasks and long animation frames.
// Everything is stored in bounded arrays on window.__benchProbe and read once at the end.

/** Longest list the probe keeps of each kind; beyond it entries are counted, not stored. */
export const PROBE_CAP = 20_000;

/**
 * Runs inside the page (passed to page.addInitScript, so it must not use anything from this module's
 * scope). `markerRe` is the source of a RegExp matching the marker names; `cap` bounds every list.
 */
export function installProbe({ markerRe, cap }) {
  const now = () => performance.timeOrigin + performance.now();
  const marker = new RegExp(markerRe);
  const probe = {
    /** Marker name → epoch ms (high resolution) when its log row was first added to the DOM. */
    markers: {},
    /** Updates that added log rows newer than any before: [epoch ms, newest arrival time among them]. */
    timeline: [],
    longTasks: [],
    frames: [],
    /** Times at which the chart's DOM changed (one entry per task that touched it). */
    chartUpdates: [],
    overflow: 0,
    rowsAdded: 0,
    updates: 0,
  };
  const push = (list, item) => {
    if (list.length < cap) list.push(item);
    else probe.overflow++;
  };
  let newestTs = -Infinity;

  // The time cell's title is the event's ISO time with milliseconds and offset: its arrival time exactly.
  const readRow = (row, t, state) => {
    const cells = row.children;
    const name = cells[2]?.textContent ?? '';
    const ts = Date.parse(cells[0]?.getAttribute('title') ?? '');
    probe.rowsAdded++;
    if (Number.isFinite(ts) && ts > state.max) state.max = ts;
    if (marker.test(name) && probe.markers[name] === undefined) probe.markers[name] = t;
  };
  // The chart gets an observer of its own: its redraws are costly and meant to be rare.
  let chart = null;
  const chartObserver = new MutationObserver(() => push(probe.chartUpdates, now()));
  const watchChart = () => {
    const el = document.querySelector('[data-testid="requests-chart"]');
    if (!el || el === chart) return;
    chart = el;
    chartObserver.disconnect();
    chartObserver.observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
  };
  const observer = new MutationObserver((records) => {
    const t = now();
    if (!chart?.isConnected) watchChart();
    const state = { max: -Infinity };
    for (const rec of records) {
      for (const node of rec.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches('[data-testid="log-row"]')) readRow(node, t, state);
        else for (const row of node.querySelectorAll('[data-testid="log-row"]')) readRow(row, t, state);
      }
    }
    if (state.max === -Infinity) return;
    probe.updates++;
    if (state.max > newestTs) {
      newestTs = state.max;
      push(probe.timeline, [t, state.max]);
    }
  });
  observer.observe(document, { childList: true, subtree: true });

  const observe = (type, onEntry) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry)).observe({ type, buffered: true });
      return true;
    } catch {
      return false;
    }
  };
  const at = (ms) => performance.timeOrigin + ms;
  probe.longTaskSupported = observe('longtask', (e) => push(probe.longTasks, [at(e.startTime), e.duration]));
  // Long animation frames say which script ran; only the slow ones are kept.
  probe.framesSupported = observe('long-animation-frame', (e) => {
    if (e.duration < 50) return;
    push(probe.frames, {
      start: at(e.startTime),
      duration: e.duration,
      blocking: e.blockingDuration,
      render: e.renderStart > 0 ? e.startTime + e.duration - e.renderStart : 0,
      styleLayout: e.styleAndLayoutStart > 0 ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
      scripts: (e.scripts ?? []).slice(0, 5).map((s) => ({
        invoker: s.invoker,
        fn: s.sourceFunctionName,
        url: s.sourceURL,
        char: s.sourceCharPosition,
        duration: s.duration,
        layout: s.forcedStyleAndLayoutDuration,
      })),
    });
  });
  window.__benchProbe = probe;
}

/** Reads the probe's lists from the page; markers as [name, seenAt] pairs. */
export async function readProbe(page) {
  return page.evaluate(() => {
    const p = window.__benchProbe;
    return {
      markers: Object.entries(p.markers),
      timeline: p.timeline,
      longTasks: p.longTasks,
      frames: p.frames,
      chartUpdates: p.chartUpdates,
      overflow: p.overflow,
      rowsAdded: p.rowsAdded,
      updates: p.updates,
      longTaskSupported: p.longTaskSupported,
      framesSupported: p.framesSupported,
    };
  });
}
