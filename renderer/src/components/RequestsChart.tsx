import { memo, useMemo } from 'react';
import { Area, AreaChart, CartesianGrid, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { timeTicks, type ChartModel } from '../lib/chart-series';
import { formatCount, formatDateMinute, formatMinute, formatRate } from '../lib/format';

interface Props {
  readonly model: ChartModel;
  readonly selectedLabel: string | null;
}

const DAY_MS = 24 * 3_600_000;

/** Requests per minute, stacked per device; animation off because it redraws with every frame of data. */
export const RequestsChart = memo(function RequestsChart({ model, selectedLabel }: Props) {
  const { window, series, points, stepMinutes } = model;
  const long = window.to - window.from > DAY_MS;
  // Steps, because each value is a count for a whole minute; a closing point at the window's end gives the
  // last minute its width.
  const last = points[points.length - 1];
  const data = useMemo(() => (last ? [...points, { ...last, t: window.to }] : []), [points, last, window.to]);
  const ticks = useMemo(
    () => timeTicks(window, long ? 7 : 12, -new Date(window.to).getTimezoneOffset()),
    [window, long],
  );
  return (
    <section className="panel chart" aria-labelledby="chart-title">
      <header className="panel-head">
        <h2 id="chart-title">Requests per minute</h2>
        <span className="muted">
          {selectedLabel ? <span>{selectedLabel}</span> : 'stacked by device'}
          {stepMinutes > 1 && ` · average over ${stepMinutes} min`}
        </span>
        <ul className="legend" aria-label="Series">
          {series.map((s) => (
            <li key={s.key}>
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" rx="2" fill={s.color} />
              </svg>
              <span className={s.kind === 'device' && s.label === s.clients[0] ? 'mono' : undefined}>
                {s.label}
              </span>
              {s.router && <span className="tag router">Router</span>}
            </li>
          ))}
        </ul>
        <span className="chart-total muted num" data-testid="chart-total">
          {formatCount(model.total)} in range
        </span>
      </header>
      <div className="chart-body" data-testid="requests-chart">
        <AreaChart
          responsive
          width="100%"
          height="100%"
          data={data}
          margin={{ top: 8, right: 24, bottom: 0, left: 0 }}
        >
          <CartesianGrid vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[window.from, window.to]}
            ticks={ticks}
            interval={0}
            tickFormatter={(t: number) => (long ? formatDateMinute(t).slice(5) : formatMinute(t))}
            tickLine={false}
          />
          <YAxis
            allowDecimals={stepMinutes > 1}
            tickFormatter={(v: number) => formatCount(v)}
            width={52}
            interval={0}
            tickLine={false}
            axisLine={false}
          />
          <Tooltip isAnimationActive={false} content={(props) => <ChartTooltip {...props} model={model} />} />
          {series.map((s) => (
            <Area
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stackId="devices"
              type="stepAfter"
              stroke={s.color}
              fill={s.color}
              fillOpacity={0.35}
              strokeWidth={1.5}
              isAnimationActive={false}
              dot={false}
              activeDot={{ r: 3 }}
            />
          ))}
        </AreaChart>
      </div>
    </section>
  );
});

function ChartTooltip({ active, payload, label, model }: TooltipContentProps & { model: ChartModel }) {
  if (!active || !payload || payload.length === 0 || typeof label !== 'number') return null;
  if (label >= model.window.to) return null;
  const total = payload.reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : 0), 0);
  // Whole counts per minute, or averages with one decimal when a point spans several minutes.
  const fmt = model.stepMinutes > 1 ? formatRate : formatCount;
  return (
    <div className="chart-tooltip">
      <div className="muted">
        {formatDateMinute(label)}
        {model.stepMinutes > 1 && ` + ${model.stepMinutes} min`}
      </div>
      <table>
        <tbody>
          {[...payload].reverse().map((p) => (
            <tr key={String(p.dataKey)}>
              <td>
                <svg width="8" height="8" aria-hidden="true">
                  <rect width="8" height="8" rx="2" fill={String(p.color ?? '')} />
                </svg>{' '}
                {p.name}
              </td>
              <td className="num">{fmt(typeof p.value === 'number' ? p.value : 0)}</td>
            </tr>
          ))}
          {payload.length > 1 && (
            <tr className="tooltip-total">
              <td>Total per minute</td>
              <td className="num">{fmt(total)}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
