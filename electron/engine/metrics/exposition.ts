/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): `# HELP` and `# TYPE` once per family, then
 * one `name{label="value"} number` line per sample. Written here rather than with prom-client because the
 * values already live in the engine (forwarder counters, upstream health, the watchlist's series) and are
 * read once per scrape; the few counters of our own are plain numbers bumped on the DNS path without a label
 * hash per query. Pure, never throws.
 */

/** The content type Prometheus asks for and this text is. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: integers as they are, "+Inf", "-Inf" and "NaN" spelled the way the format reads them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels | undefined, extra?: readonly [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push([extra[0], extra[1]]);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** A histogram's cumulative counts: `counts[i]` observations ≤ `bounds[i]`, plus the total and their sum. */
export interface HistogramSample {
  readonly labels?: Labels;
  /** Upper bounds, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative), one more than `bounds` (the last is above every bound). */
  readonly buckets: ArrayLike<number>;
  readonly sum: number;
}

/** Collects metric families and writes them as one exposition text. */
export class Exposition {
  private readonly lines: string[] = [];

  private family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  /** A counter family; `name` ends in `_total`. A family without samples is still declared. */
  counter(name: string, help: string, samples: readonly Sample[]): this {
    this.family(name, 'counter', help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  gauge(name: string, help: string, samples: readonly Sample[]): this {
    this.family(name, 'gauge', help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  histogram(name: string, help: string, samples: readonly HistogramSample[]): this {
    this.family(name, 'histogram', help);
    for (const s of samples) {
      let cumulative = 0;
      s.bounds.forEach((bound, i) => {
        cumulative += s.buckets[i] ?? 0;
        this.lines.push(`${name}_bucket${labelText(s.labels, ['le', formatValue(bound)])} ${cumulative}`);
      });
      cumulative += s.buckets[s.bounds.length] ?? 0;
      this.lines.push(`${name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${cumulative}`);
      this.lines.push(`${name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      this.lines.push(`${name}_count${labelText(s.labels)} ${cumulative}`);
    }
    return this;
  }

  /** The text: every line ends with a line feed, as the format requires. */
  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
