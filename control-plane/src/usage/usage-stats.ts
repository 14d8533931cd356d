import { Injectable } from '@nestjs/common';
import {
  DEAD_LETTER_CLASSES,
  type DeadLetterClass,
  USAGE_DEAD_LETTER_STREAM,
  type UsageHealth,
} from '@portcullis/shared/usage';

type ByClass = Record<DeadLetterClass, number>;
const zeroByClass = (): ByClass => Object.fromEntries(DEAD_LETTER_CLASSES.map((c) => [c, 0])) as ByClass;
const isClass = (name: string): name is DeadLetterClass =>
  (DEAD_LETTER_CLASSES as readonly string[]).includes(name);

/**
 * The usage consumer's counters, for the health output and the Prometheus metrics. Updated by the
 * consumer only; reading them does no I/O (health checks and scrapes must stay cheap).
 */
@Injectable()
export class UsageStats {
  ingested = 0;
  duplicates = 0;
  batches = 0;
  isolatedBatches = 0;
  paused = false;
  readonly deadLettered: ByClass = zeroByClass();
  private stored: { byReason: ByClass; total: number; readAt: Date } | null = null;

  /** The counts hash as HGETALL answers it (`[name, value, …]`). */
  storedCounts(flat: readonly string[]): void {
    const byReason = zeroByClass();
    let total = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const n = Number(flat[i + 1]);
      if (!Number.isSafeInteger(n) || n < 0) continue;
      total += n;
      const name = flat[i] as string;
      if (isClass(name)) byReason[name] = n;
    }
    this.stored = { byReason, total, readAt: new Date() };
  }

  /** `deadLetter` is as last read: after each batch that dead-lettered, and every 10 s. */
  health(): UsageHealth {
    const s = this.stored;
    return {
      ingestion: this.paused ? 'paused' : 'running',
      consumer: {
        ingested: this.ingested,
        duplicates: this.duplicates,
        deadLettered: Object.values(this.deadLettered).reduce((a, b) => a + b, 0),
        batches: this.batches,
        isolatedBatches: this.isolatedBatches,
      },
      deadLetter: s
        ? {
            stream: USAGE_DEAD_LETTER_STREAM,
            total: s.total,
            byReason: { ...s.byReason },
            readAt: s.readAt.toISOString(),
          }
        : null,
    };
  }

  /** Prometheus text exposition (format 0.0.4) of the usage counters. */
  prometheus(): string {
    const out: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const byReason = (counts: ByClass): [string, number][] =>
      DEAD_LETTER_CLASSES.map((c) => [`{reason="${c}"}`, counts[c]]);
    metric(
      'portcullis_usage_events_ingested_total',
      'counter',
      'Usage events counted (stored for the first time) by this process',
      [['', this.ingested]],
    );
    metric(
      'portcullis_usage_events_duplicate_total',
      'counter',
      'Usage events already counted (redelivered or repeated), not counted again, by this process',
      [['', this.duplicates]],
    );
    metric(
      'portcullis_usage_events_dead_lettered_total',
      'counter',
      'Usage entries moved to the dead-letter stream by this process, by reason class',
      byReason(this.deadLettered),
    );
    metric(
      'portcullis_usage_batches_total',
      'counter',
      'Usage batches written and acknowledged by this process',
      [['', this.batches]],
    );
    metric(
      'portcullis_usage_batches_isolated_total',
      'counter',
      'Usage batches the database refused whole and that were retried one event at a time',
      [['', this.isolatedBatches]],
    );
    metric(
      'portcullis_usage_ingestion_paused',
      'gauge',
      '1 while usage ingestion backs off because Redis or Postgres is failing',
      [['', this.paused ? 1 : 0]],
    );
    if (this.stored) {
      metric(
        'portcullis_usage_dead_letter_entries',
        'gauge',
        'Usage entries dead-lettered by every control plane, ever (the Redis counts, as last read), by reason class',
        byReason(this.stored.byReason),
      );
    }
    return `${out.join('\n')}\n`;
  }
}
