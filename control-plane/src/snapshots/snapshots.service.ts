import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * The seam gateways will hang on: every change that matters to enforcement calls `bump` inside its
 * own transaction, so the organization's snapshot version moves atomically with the change.
 * (The outbox and the Redis publisher build on this.)
 */
@Injectable()
export class SnapshotsService {
  async bump(em: EntityManager, orgId: string): Promise<string> {
    const rows: { snapshot_version: string }[] = await em.query(
      'UPDATE organizations SET snapshot_version = snapshot_version + 1 WHERE id = $1 RETURNING snapshot_version',
      [orgId],
    );
    return rows[0]?.snapshot_version ?? '0';
  }
}
