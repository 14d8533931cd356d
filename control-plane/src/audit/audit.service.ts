import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuditQuery } from '@portcullis/shared/api/queries';
import type { AuditAction, AuditEventView, AuditVerification } from '@portcullis/shared/audit';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import type { Actor } from '../common/request-context';
import { execute, query, sql } from '../database/sql';
import { type ChainedFields, chainHash, redact } from './audit-chain';
import { AuditEvent } from './audit-event.entity';

export interface AuditEntry {
  orgId: string;
  actor: Actor;
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

const isSeqCursor = (v: unknown): v is { s: number } =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger((v as { s: unknown }).s) &&
  (v as { s: number }).s > 0;

const fieldsOf = (e: AuditEvent): ChainedFields => ({
  id: e.id,
  orgId: e.orgId,
  seq: String(e.seq),
  actorType: e.actorType,
  actorId: e.actorId,
  action: e.action,
  targetType: e.targetType,
  targetId: e.targetId,
  sourceIp: e.sourceIp,
  before: e.before,
  after: e.after,
  createdAt: new Date(e.createdAt).toISOString(),
  prevHash: e.prevHash,
});

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Appends one record inside the caller's transaction. The organization row is locked, so appends
   * (and the mutations they describe) are serialized per organization and the chain has no forks.
   */
  async append(em: EntityManager, entry: AuditEntry): Promise<void> {
    const rows: { audit_head_seq: string; audit_head_hash: string }[] = await query(
      em,
      sql`SELECT audit_head_seq, audit_head_hash FROM organizations WHERE id = ${entry.orgId} FOR UPDATE`,
    );
    const head = rows[0];
    if (!head) throw new Error(`audit: organization ${entry.orgId} does not exist`);
    const seq = String(BigInt(head.audit_head_seq) + 1n);
    const fields: ChainedFields = {
      id: randomUUID(),
      orgId: entry.orgId,
      seq,
      actorType: entry.actor.type,
      actorId: entry.actor.userId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      sourceIp: entry.actor.ip,
      // Round-trip through JSON so the stored jsonb and the hashed value are the same data.
      before: entry.before === undefined ? null : JSON.parse(JSON.stringify(redact(entry.before))),
      after: entry.after === undefined ? null : JSON.parse(JSON.stringify(redact(entry.after))),
      createdAt: new Date().toISOString(),
      prevHash: head.audit_head_hash,
    };
    const hash = chainHash(fields);
    await query(
      em,
      sql`INSERT INTO audit_events (id, org_id, seq, actor_type, actor_id, action, target_type, target_id,
          source_ip,
         before, after, created_at, prev_hash, hash)
       VALUES (${fields.id}, ${fields.orgId}, ${seq}, ${fields.actorType}, ${fields.actorId},
         ${fields.action}, ${fields.targetType}, ${fields.targetId}, ${fields.sourceIp},
         ${fields.before === null ? null : JSON.stringify(fields.before)},
         ${fields.after === null ? null : JSON.stringify(fields.after)}, ${fields.createdAt},
         ${fields.prevHash}, ${hash})`,
    );
    await execute(
      em,
      sql`UPDATE organizations SET audit_head_seq = ${seq}, audit_head_hash = ${hash}
          WHERE id = ${entry.orgId}`,
    );
  }

  async list(orgId: string, q: AuditQuery): Promise<Page<AuditEventView>> {
    const qb = this.db
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.orgId = :orgId', { orgId })
      .orderBy('e.seq', 'DESC')
      .limit(q.limit + 1);
    if (q.action) qb.andWhere('e.action = :action', { action: q.action });
    if (q.targetId) qb.andWhere('e.targetId = :targetId', { targetId: q.targetId });
    if (q.cursor) qb.andWhere('e.seq < :seq', { seq: decodeCursor(q.cursor, isSeqCursor).s });
    const rows = await qb.getMany();
    const page = rows.slice(0, q.limit).map(
      (e): AuditEventView => ({
        id: e.id,
        seq: Number(e.seq),
        action: e.action,
        actor: { type: e.actorType, id: e.actorId },
        target: { type: e.targetType, id: e.targetId },
        sourceIp: e.sourceIp,
        before: e.before,
        after: e.after,
        createdAt: new Date(e.createdAt).toISOString(),
        hash: e.hash,
        prevHash: e.prevHash,
      }),
    );
    const last = page[page.length - 1];
    return { data: page, nextCursor: rows.length > q.limit && last ? encodeCursor({ s: last.seq }) : null };
  }

  /**
   * Walks the organization's chain in order: every row must re-hash to its stored hash, link to the
   * previous one, and carry the next sequence number; the last must be the head kept on the
   * organization. An edited row, a deleted row (a gap, or a missing tail) or a re-ordered one fails.
   */
  async verify(orgId: string): Promise<AuditVerification> {
    const org: { audit_head_seq: string; audit_head_hash: string }[] = await query(
      this.db,
      sql`SELECT audit_head_seq, audit_head_hash FROM organizations WHERE id = ${orgId}`,
    );
    const head = org[0];
    if (!head) return { ok: false, checked: 0, reason: 'organization not found' };
    const repo = this.db.getRepository(AuditEvent);
    let prevHash = '';
    let expectedSeq = 1n;
    let checked = 0;
    const batch = 500;
    for (;;) {
      const rows = await repo
        .createQueryBuilder('e')
        .where('e.orgId = :orgId AND e.seq >= :from', { orgId, from: String(expectedSeq) })
        .orderBy('e.seq', 'ASC')
        .limit(batch)
        .getMany();
      for (const row of rows) {
        const seq = BigInt(row.seq);
        if (seq !== expectedSeq) {
          return {
            ok: false,
            checked,
            brokenAtSeq: Number(expectedSeq),
            reason: `record ${expectedSeq} is missing`,
          };
        }
        if (row.prevHash !== prevHash) {
          return {
            ok: false,
            checked,
            brokenAtSeq: Number(seq),
            reason: `record ${seq} does not link to ${seq - 1n}`,
          };
        }
        if (chainHash(fieldsOf(row)) !== row.hash) {
          return { ok: false, checked, brokenAtSeq: Number(seq), reason: `record ${seq} was altered` };
        }
        prevHash = row.hash;
        expectedSeq = seq + 1n;
        checked++;
      }
      if (rows.length < batch) break;
    }
    if (String(expectedSeq - 1n) !== head.audit_head_seq || prevHash !== head.audit_head_hash) {
      return {
        ok: false,
        checked,
        brokenAtSeq: Number(expectedSeq),
        reason: `the chain ends at ${expectedSeq - 1n} but the organization's head is ${head.audit_head_seq}`,
      };
    }
    return { ok: true, checked };
  }
}
