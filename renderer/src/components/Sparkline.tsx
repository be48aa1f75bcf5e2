interface Props {
  readonly values: readonly number[];
  readonly color: string;
  readonly width?: number;
  readonly height?: number;
}

/** A tiny line of recent per-minute counts; plain SVG attributes, so it needs no inline styles. */
export function Sparkline({ values, color, width = 64, height = 20 }: Props) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`,
  );
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      aria-hidden="true"
    >
      <polyline
        points={points.join(' ')}
        fill="none"
        stroke={color}
        strokeWidth="1.5"
        strokeLinejoin="round"
      />
    </svg>
  );
}
