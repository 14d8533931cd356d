import type { ReactNode } from 'react';
import type { AuditEventView } from '@/lib/api/audit';
import styles from './audit.module.css';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const json = (value: unknown): string => JSON.stringify(value, null, 2) ?? 'null';

/** Top-level fields whose value differs between the two snapshots. */
const changedFields = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .sort();

const inline = (value: unknown): string => (value === undefined ? '—' : JSON.stringify(value));

/** One side of the record: the JSON snapshot, or what its absence means. */
function Snapshot({ title, value, empty }: { title: string; value: unknown; empty: string }) {
  return (
    <div className={styles.detailBlock}>
      <h3>{title}</h3>
      {value === null || value === undefined ? <p className="muted">{empty}</p> : <pre>{json(value)}</pre>}
    </div>
  );
}

/** What an audit record holds: who, what, the before/after snapshots and its place in the chain. */
export function AuditEventDetails({ event, actor }: { event: AuditEventView; actor: ReactNode }) {
  const before = event.before;
  const after = event.after;
  const changes = isRecord(before) && isRecord(after) ? changedFields(before, after) : null;

  return (
    <div className={styles.details}>
      <dl className="stat-list">
        <dt>Event</dt>
        <dd>
          #{event.seq} <span className="mono muted">{event.id}</span>
        </dd>
        <dt>Time</dt>
        <dd className="mono">{event.createdAt}</dd>
        <dt>Actor</dt>
        <dd>
          {actor}
          {event.actor.id && <span className="mono muted"> {event.actor.id}</span>}
        </dd>
        <dt>Target</dt>
        <dd>
          {event.target.type} <span className="mono">{event.target.id ?? '—'}</span>
        </dd>
        <dt>Source IP</dt>
        <dd className="mono">{event.sourceIp ?? '—'}</dd>
        <dt>Hash</dt>
        <dd className="mono">{event.hash}</dd>
        <dt>Previous hash</dt>
        <dd className="mono">{event.prevHash || '— (first record)'}</dd>
      </dl>

      {changes && changes.length > 0 && (
        <div className={styles.detailBlock}>
          <h3>Changes</h3>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {changes.map((field) => (
                  <tr key={field}>
                    <th scope="row" className="mono">
                      {field}
                    </th>
                    <td className={`mono ${styles.diffValue}`}>
                      {inline((before as Record<string, unknown>)[field])}
                    </td>
                    <td className={`mono ${styles.diffValue}`}>
                      {inline((after as Record<string, unknown>)[field])}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}

      <div className={styles.snapshots}>
        <Snapshot title="Before" value={before} empty="Nothing (created)" />
        <Snapshot title="After" value={after} empty="Nothing (removed)" />
      </div>
    </div>
  );
}
