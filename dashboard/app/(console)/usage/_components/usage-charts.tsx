import { BarChart } from '@/components/ui/bar-chart';
import type { UsageReport, UsageSums } from '@/lib/api/usage';
import { formatNumber } from '@/lib/format';
import styles from './usage.module.css';
import { formatBucket, formatSpend } from './usage-format';

const MEASURES: { title: string; value: (s: UsageSums) => number; format: (v: number) => string }[] = [
  { title: 'Requests', value: (s) => s.requests, format: formatNumber },
  { title: 'Input tokens', value: (s) => s.inputTokens, format: formatNumber },
  { title: 'Output tokens', value: (s) => s.outputTokens, format: formatNumber },
  { title: 'Spend (USD)', value: (s) => s.costUsd, format: formatSpend },
];

/** One chart per measure over the report's buckets. */
export function UsageCharts({ report }: { report: UsageReport }) {
  const per = report.bucket === 'hour' ? 'per hour' : 'per day';
  return (
    <section aria-labelledby="usage-charts-heading" className={styles.section}>
      <h2 id="usage-charts-heading">Over time</h2>
      <div className={styles.charts}>
        {MEASURES.map((m) => (
          <div key={m.title} className="card">
            <BarChart
              title={`${m.title} ${per}`}
              format={m.format}
              data={report.data.map((b) => ({
                label: formatBucket(b.start, report.bucket),
                value: m.value(b),
              }))}
            />
          </div>
        ))}
      </div>
    </section>
  );
}
