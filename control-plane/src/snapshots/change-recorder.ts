import { Injectable } from '@nestjs/common';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import type { EntityManager } from 'typeorm';
import { type AuditEntry, AuditService } from '../audit/audit.service';
import type { Actor } from '../common/request-context';
import { execute, query, rawSql, sql } from '../database/sql';
import { userPolicyChanges } from './snapshot-people';

/** Postgres NOTIFY channel that wakes the publisher when an outbox row commits. */
export const OUTBOX_NOTIFY_CHANNEL = 'portcullis_outbox';

/** One audit record of a change: who and in which organization come from the change. */
export type AuditRecord = Omit<AuditEntry, 'orgId' | 'actor'>;

/** Who changed something in which organization: an `OrgCaller`, or the system with its own actor. */
export type ChangeAuthor = { org: { orgId: string }; actor: Actor } | { orgId: string; actor: Actor };

/**
 * Every change the control plane makes: its audit records and, when it matters to enforcement, the
 * snapshot change the gateways must apply, written in the caller's transaction so a change is never
 * audited without reaching the gateways, or the reverse.
 */
@Injectable()
export class ChangeRecorder {
  constructor(private readonly audit: AuditService) {}

  /**
   * Appends `audit` (one record or several, in order), then, when `snapshot` is given, moves the
   * organization's snapshot version and writes the outbox row (an empty list still moves the version).
   */
  async record(
    em: EntityManager,
    by: ChangeAuthor,
    audit: AuditRecord | readonly AuditRecord[],
    snapshot?: readonly SnapshotChange[],
  ): Promise<void> {
    const orgId = 'org' in by ? by.org.orgId : by.orgId;
    // Array.isArray does not narrow a readonly array away, hence the cast.
    for (const r of Array.isArray(audit) ? audit : [audit as AuditRecord]) {
      await this.audit.append(em, { orgId, actor: by.actor, ...r });
    }
    if (snapshot !== undefined) await writeSnapshotChange(em, orgId, snapshot);
  }
}

/**
 * Moves the organization's snapshot version and writes the outbox row `{from, to, changes}` in the
 * caller's transaction; the publisher sends it to the gateways after commit.
 *
 * A key upsert brings its owner's policy along unless the changes already carry it: a gateway then
 * always knows the role, grants and groups of every key's owner, even for a member whose first key
 * this is.
 */
async function writeSnapshotChange(
  em: EntityManager,
  orgId: string,
  changes: readonly SnapshotChange[],
): Promise<void> {
  const covered = new Set<string>();
  for (const c of changes) {
    if (c.op === 'upsert_user_policy') covered.add(c.value.id);
    else if (c.op === 'delete_user_policy') covered.add(c.id);
  }
  const owners = new Set<string>();
  for (const c of changes)
    if (c.op === 'upsert_key' && !covered.has(c.value.ownerId)) owners.add(c.value.ownerId);
  const all = owners.size > 0 ? [...changes, ...(await userPolicyChanges(em, orgId, [...owners]))] : changes;
  const { rows } = await execute<{ snapshot_version: string }>(
    em,
    sql`UPDATE organizations SET snapshot_version = snapshot_version + 1 WHERE id = ${orgId}
        RETURNING snapshot_version`,
  );
  const toVersion = Number(rows[0]?.snapshot_version ?? Number.NaN);
  if (!Number.isSafeInteger(toVersion)) throw new Error(`snapshots: organization ${orgId} does not exist`);
  await query(
    em,
    sql`INSERT INTO snapshot_outbox (org_id, from_version, to_version, changes)
        VALUES (${orgId}, ${toVersion - 1}, ${toVersion}, ${JSON.stringify(all)})`,
  );
  // Delivered on commit only, so the publisher never wakes for a rolled-back change.
  await query(em, sql`NOTIFY ${rawSql(OUTBOX_NOTIFY_CHANNEL)}`);
}
