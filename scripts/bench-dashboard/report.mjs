// The markdown report of the dashboard benchmark: header with command and machine, one column per round,
// PASS/MISS per target, then the checks, resources and where the slow frames spent their time.

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n) => {
  if (n === Infinity) return 'never';
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
};
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '–');
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)}` : '–');
const mbKb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)}` : '–');

/** PASS when every round meets the target, MISS otherwise. */
const verdict = (ok) => (ok ? '**PASS**' : '**MISS**');

/** Whether a round meets each target of issue 3. */
export function roundVerdicts(r, targets) {
  const l = r.latency;
  return {
    p95: l.onScreen.count > 0 && l.onScreen.p95 <= targets.p95,
    longest: r.longTasks.over100 === 0,
  };
}

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The whole report as markdown. */
export function renderReport({ info, command, measured, opts, rounds, targets }) {
  const out = [];
  const date = info.date.slice(0, 16).replace('T', ' ');
  const per = Math.round(opts.qps / opts.devices);
  const last = `127.0.0.${opts.devices + 1}`;
  const notes = [
    ...(opts.profile ? ['profiled: figures not comparable'] : []),
    ...(opts.renderer ? [`renderer from ${opts.renderer}`] : []),
  ];
  out.push(`### Run of ${date} UTC${notes.length ? ` (${notes.join('; ')})` : ''}`, '');
  out.push(
    `- Command: \`${command}\` on commit ${measured}`,
    `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; ` +
      `Node ${info.node}, Chromium ${info.chromium ?? 'unknown'} (headless, playwright-core ${info.playwright}), ` +
      `dnsperf ${info.dnsperf}, dnsmasq ${info.dnsmasq}`,
    `- Load: ${opts.qps.toLocaleString('en-US')} queries/s for ${opts.duration} s from ${opts.devices} dnsperf ` +
      `processes (127.0.0.2–${last}, ~${per}/s each); a marker query every ${opts.markerMs} ms from 127.0.0.1; ` +
      `page 1280×800`,
    `- CPU used by other processes during the load: ${rounds.map((r) => pct(r.cpu.others)).join(', ')}` +
      (rounds.some((r) => r.cpu.others >= 0.15) ? ' — **busy machine, figures are noisy**' : ''),
    '',
  );
  const head = ['', ...rounds.map((r) => `round ${r.round}`), 'target', 'result'];
  const v = rounds.map((r) => roundVerdicts(r, targets));
  const cols = (f) => rounds.map(f);
  out.push(
    table(head, [
      [
        'event-to-screen p50 / p95 / max, ms',
        ...cols(
          (r) =>
            `${ms(r.latency.onScreen.p50)} / ${ms(r.latency.onScreen.p95)} / ${ms(r.latency.onScreen.max)}`,
        ),
        `p95 ≤ ${int(targets.p95)} ms`,
        verdict(v.every((x) => x.p95)),
      ],
      [
        'markers shown / sent',
        ...cols((r) => `${int(r.latency.onScreen.count - r.latency.neverShown)} / ${int(r.latency.sent)}`),
        'all',
        '',
      ],
      ['markers lost before the service (UDP)', ...cols((r) => int(r.latency.notRecorded)), '', ''],
      [
        'markers whose own row was rendered; its p50 / p95, ms',
        ...cols(
          (r) => `${int(r.latency.ownRow.count)}; ${ms(r.latency.ownRow.p50)} / ${ms(r.latency.ownRow.p95)}`,
        ),
        '',
        '',
      ],
      [
        'long tasks > 50 ms / > 100 ms',
        ...cols((r) => `${int(r.longTasks.over50)} / ${int(r.longTasks.over100)}`),
        'none > 100 ms',
        verdict(v.every((x) => x.longest)),
      ],
      ['longest task, ms', ...cols((r) => ms(r.longTasks.longest)), `≤ ${targets.longest}`, ''],
      [
        'from 15 s on: long tasks > 50 / > 100 ms, longest',
        ...cols((r) =>
          r.chartUpdates.lateSeconds > 0
            ? `${int(r.lateLongTasks.over50)} / ${int(r.lateLongTasks.over100)}, ${ms(r.lateLongTasks.longest)}`
            : '–',
        ),
        '',
        '',
      ],
      ['time in long tasks, ms', ...cols((r) => ms(r.longTasks.totalMs)), '', ''],
      ['renderer main thread busy', ...cols((r) => pct(r.mainThreadBusy)), '', ''],
      [
        '… of which script / style + layout',
        ...cols((r) => `${pct(r.scriptShare)} / ${pct(r.layoutShare)}`),
        '',
        '',
      ],
      [
        'JS heap start → end (after GC), peak; MB',
        ...cols(
          (r) => `${mb(r.heap.start)} → ${mb(r.heap.end)} (${mb(r.heap.endAfterGc)}), ${mb(r.heap.peak)}`,
        ),
        '',
        '',
      ],
      [
        'DOM nodes start → end (after GC)',
        ...cols((r) => `${int(r.domNodes.start)} → ${int(r.domNodes.end)} (${int(r.domNodes.endAfterGc)})`),
        '',
        '',
      ],
      [
        'service RSS start → end, peak; MB',
        ...cols((r) => `${mbKb(r.rssKb.start)} → ${mbKb(r.rssKb.end)}, ${mbKb(r.rssKb.peak)}`),
        '',
        '',
      ],
      [
        'CPU: Chromium (renderer) / service / this script, of one core',
        ...cols(
          (r) =>
            `${pct(r.cpu.chrome)} (${pct(r.cpu.byType?.renderer)}) / ${pct(r.cpu.service)} / ${pct(r.cpu.harness)}`,
        ),
        '',
        '',
      ],
    ]),
    '',
  );

  out.push('Checks that the figures measure a working dashboard at the asked rate:', '');
  out.push(
    table(
      ['', ...rounds.map((r) => `round ${r.round}`)],
      [
        [
          'dnsperf sent / lost, its queries/s',
          ...cols(
            (r) =>
              `${int(r.perf.sent)} / ${int(r.perf.lost)}, ${int(r.perf.perDevice.reduce((n, d) => n + d.qps, 0))}`,
          ),
        ],
        [
          'counted by the dashboard during the load / sent (dnsperf + markers)',
          ...cols((r) => `${int(r.totals.shown - r.totals.before)} / ${int(r.totals.loadSent)}`),
        ],
        [
          "status bar's total at the end / service's total",
          ...cols((r) => `${int(r.totals.shown)} / ${int(r.totals.after)}`),
        ],
        ["status bar's rate (median from 11 s on), /s", ...cols((r) => int(r.rate.median))],
        ['dashboard caught up after the load, ms', ...cols((r) => ms(r.totals.settleMs))],
        ['snapshots (resyncs) taken during the load', ...cols((r) => int(r.snapshotsDuringLoad))],
        [
          'other requests from the page during the load: count, MB received',
          ...cols(
            (r) =>
              Object.entries(r.rpcDuringLoad)
                .filter(([ch]) => ch !== 'capture:snapshot')
                .map(([ch, x]) => `${ch} ${int(x.count)}, ${mb(x.bytes)}`)
                .join('; ') || 'none',
          ),
        ],
        [
          'chart redraws (DOM changes) during the load; per second from 15 s on',
          ...cols(
            (r) =>
              `${int(r.chartUpdates.count)}; ${
                r.chartUpdates.lateSeconds > 0
                  ? (r.chartUpdates.late / r.chartUpdates.lateSeconds).toFixed(1)
                  : '–'
              }`,
          ),
        ],
        [
          'log rows added to the DOM / log updates',
          ...cols((r) => `${int(r.probe.rowsAdded)} / ${int(r.probe.updates)}`),
        ],
        [
          'long tasks while the first queries arrived (before the load), longest ms',
          ...cols((r) => `${int(r.warmupLongTasks.count)}, ${ms(r.warmupLongTasks.longest)}`),
        ],
        ['renderer bundle measured', ...cols((r) => `\`${r.bundle}\``)],
        ['check', ...cols((r) => (r.checks.length ? `FAILED: ${r.checks.join('; ')}` : 'ok'))],
      ],
    ),
    '',
  );

  for (const r of rounds) {
    if (r.slowFrames.frames === 0) continue;
    out.push(
      `Round ${r.round}: ${r.slowFrames.frames} animation frames over 100 ms (Long Animation Frames API); ` +
        `the scripts that ran in them, by total time:`,
      '',
      table(
        ['script (invoker → function, bundle position)', 'frames', 'ms', 'forced style/layout ms'],
        r.slowFrames.top.map((s) => [`\`${s.what}\``, int(s.frames), ms(s.ms), ms(s.layoutMs)]),
      ),
      '',
    );
  }
  for (const r of rounds) {
    if (!r.profile) continue;
    const p = r.profile;
    out.push(
      `Round ${r.round} CPU profile (${p.file}): ${ms(p.busyMs)} ms busy of ${ms(p.wallMs)} ms.`,
      '',
      'Self time by part of the page:',
      '',
      table(
        ['part', 'ms', 'share'],
        p.selfByPart.map((f) => [f.name, ms(f.ms), pct(f.share)]),
      ),
      '',
      'Self time by source file:',
      '',
      table(
        ['source', 'ms', 'share'],
        p.selfBySource.map((f) => [`\`${f.name}\``, ms(f.ms), pct(f.share)]),
      ),
      '',
      'Self time by function:',
      '',
      table(
        ['function', 'where', 'ms', 'share'],
        p.selfByFunction.map((f) => [`\`${f.name}\``, `\`${f.where}\``, ms(f.ms), pct(f.share)]),
      ),
      '',
      'Inclusive time by function:',
      '',
      table(
        ['function', 'where', 'ms', 'share'],
        p.inclusiveByFunction.map((f) => [`\`${f.name}\``, `\`${f.where}\``, ms(f.ms), pct(f.share)]),
      ),
      '',
      'Inclusive time of functions in renderer/src:',
      '',
      table(
        ['function', 'where', 'ms', 'share'],
        p.inclusiveOwn.map((f) => [`\`${f.name}\``, `\`${f.where}\``, ms(f.ms), pct(f.share)]),
      ),
      '',
    );
    if (p.longSpans.length > 0)
      out.push(
        `Busy spans of 50 ms or more in the profile (long tasks, slowed by the profiler): ${p.longSpans.length}. ` +
          'The longest, with the renderer/src functions on their stacks and where their own time went:',
        '',
        table(
          ['at s', 'ms', 'renderer/src functions (inclusive ms)', 'self time by part'],
          [...p.longSpans]
            .sort((a, b) => b.ms - a.ms)
            .slice(0, 10)
            .map((x) => [
              (x.atMs / 1000).toFixed(1),
              ms(x.ms),
              x.own.map((f) => `${f.name} ${ms(f.ms)}`).join(', ') || '–',
              x.parts.map((f) => `${f.name} ${pct(f.share)}`).join(', '),
            ]),
        ),
        '',
      );
  }
  return `${out.join('\n')}\n`;
}
