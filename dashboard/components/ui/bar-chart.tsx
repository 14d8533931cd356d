'use client';

import { useId } from 'react';

export interface BarDatum {
  /** Bucket label shown under the bar and in the data table, e.g. "Nov 23". */
  label: string;
  value: number;
}

/**
 * A bar chart in plain SVG with the same numbers in a visually hidden table, so screen readers
 * (and tests) read values rather than pixels.
 */
export function BarChart({
  title,
  data,
  format = (v) => String(v),
  height = 160,
}: {
  title: string;
  data: readonly BarDatum[];
  format?: (value: number) => string;
  height?: number;
}) {
  const titleId = useId();
  const max = Math.max(0, ...data.map((d) => d.value));
  const total = data.reduce((sum, d) => sum + d.value, 0);
  const width = Math.max(data.length * 24, 240);
  const barWidth = width / Math.max(data.length, 1);
  // Label every nth bucket so labels never overlap.
  const labelEvery = Math.max(1, Math.ceil(data.length / 8));

  return (
    <figure className="chart" aria-labelledby={titleId}>
      <figcaption id={titleId} className="chart-title">
        <span>{title}</span>
        <span className="chart-total">{format(total)}</span>
      </figcaption>
      {total === 0 ? (
        <p className="muted chart-empty">Nothing in this period.</p>
      ) : (
        <>
          <svg
            viewBox={`0 0 ${width} ${height}`}
            preserveAspectRatio="none"
            className="chart-svg"
            role="img"
            aria-label={`${title}: ${format(total)} in total`}
          >
            {data.map((d, i) => {
              const h = max === 0 ? 0 : Math.max((d.value / max) * height, d.value > 0 ? 2 : 0);
              return (
                <rect
                  key={d.label}
                  x={i * barWidth + 2}
                  y={height - h}
                  width={Math.max(barWidth - 4, 1)}
                  height={h}
                  className="chart-bar"
                >
                  <title>{`${d.label}: ${format(d.value)}`}</title>
                </rect>
              );
            })}
          </svg>
          {/* Labels in HTML, not in the stretched SVG, so they keep their shape at any width. */}
          <div className="chart-labels" aria-hidden="true">
            {data.map((d, i) => {
              if (i % labelEvery !== 0) return null;
              const center = ((i + 0.5) / data.length) * 100;
              // The outermost labels align to the chart's edges instead of hanging past them.
              const style =
                center < 10
                  ? { left: 0 }
                  : center > 90
                    ? { right: 0 }
                    : { left: `${center}%`, transform: 'translateX(-50%)' };
              return (
                <span key={d.label} style={style}>
                  {d.label}
                </span>
              );
            })}
          </div>
        </>
      )}
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.label}>
              <td>{d.label}</td>
              <td>{format(d.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
