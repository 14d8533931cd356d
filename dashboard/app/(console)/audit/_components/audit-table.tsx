'use client';

import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import type { AuditEventView } from '@/lib/api/audit';
import { allMembersQueryOptions } from '@/lib/api/users';
import { formatDateTime } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import styles from './audit.module.css';
import { AuditEventDetails } from './audit-event-details';

const COLUMNS = 6;

/** A readable name for the object an event is about, when its snapshot carries one. */
const targetName = (event: AuditEventView): string | null => {
  for (const snapshot of [event.after, event.before]) {
    if (snapshot && typeof snapshot === 'object') {
      const record = snapshot as Record<string, unknown>;
      for (const field of ['name', 'slug', 'email']) {
        const value = record[field];
        if (typeof value === 'string' && value !== '') return value;
      }
    }
  }
  return null;
};

export function AuditTable({
  events,
  onFilterTarget,
}: {
  events: AuditEventView[];
  onFilterTarget: (targetId: string) => void;
}) {
  const { org } = useOrg();
  // Names for actors; while they load (or if they fail) the id stands in.
  const members = useQuery(allMembersQueryOptions(org.id));
  const people = new Map((members.data ?? []).map((m) => [m.id, m.name || m.email]));
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());

  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const actorLabel = (event: AuditEventView) => {
    if (event.actor.type === 'system') return <span className="muted">System</span>;
    if (!event.actor.id) return <span className="muted">Unknown</span>;
    const name = people.get(event.actor.id);
    return name ?? <span className="mono">{event.actor.id}</span>;
  };

  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Source IP</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const expanded = open.has(event.id);
            const detailsId = `audit-details-${event.id}`;
            const name = targetName(event);
            return (
              <Fragment key={event.id}>
                <tr className={expanded ? styles.openRow : undefined}>
                  <td className={styles.toggleCell}>
                    <button
                      type="button"
                      className="icon-button"
                      aria-expanded={expanded}
                      aria-controls={expanded ? detailsId : undefined}
                      aria-label={`${expanded ? 'Hide' : 'Show'} details of event #${event.seq} (${event.action})`}
                      onClick={() => toggle(event.id)}
                    >
                      <span aria-hidden="true" className={expanded ? styles.chevronOpen : styles.chevron}>
                        ›
                      </span>
                    </button>
                  </td>
                  <td>
                    <time dateTime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
                  </td>
                  <td>{actorLabel(event)}</td>
                  <td>
                    <code>{event.action}</code>
                  </td>
                  <td>
                    <span className="muted">{event.target.type}</span>
                    {name && <span className={styles.targetName}>{name}</span>}
                    {event.target.id && (
                      <button
                        type="button"
                        className={`button-link mono ${styles.targetId}`}
                        title="Show only events about this target"
                        aria-label={`Show only events about ${event.target.type} ${event.target.id}`}
                        onClick={() => event.target.id && onFilterTarget(event.target.id)}
                      >
                        {event.target.id.length > 13 ? `${event.target.id.slice(0, 8)}…` : event.target.id}
                      </button>
                    )}
                  </td>
                  <td className="mono">{event.sourceIp ?? '—'}</td>
                </tr>
                {expanded && (
                  <tr className={styles.detailsRow}>
                    <td colSpan={COLUMNS} id={detailsId}>
                      <AuditEventDetails event={event} actor={actorLabel(event)} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
