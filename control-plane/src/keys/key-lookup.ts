import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ApiKey } from '@portcullis/shared/api-keys';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { OrgCaller } from '../common/request-context';
import { findInOrg, queryOne, sql } from '../database/sql';
import { SpendService } from '../usage/spend.service';
import { ApiKeyEntity } from './api-key.entity';
import { deriveStatus, type KeyOwner, toApiKey } from './key-view';

/** What the keys services share: finding a key the caller may see, and its view. */
@Injectable()
export class KeyLookup {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly spend: SpendService,
  ) {}

  /** A key the caller may see: in their organization, not deleted, and their own unless they are an admin. */
  async findVisible(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<ApiKeyEntity> {
    const entity = await findInOrg(em, ApiKeyEntity, caller.org.orgId, id, {
      where: {
        deletedAt: IsNull(),
        ...(caller.org.role === 'admin' ? {} : { ownerId: caller.actor.userId }),
      },
      lock,
    });
    if (!entity) throw DomainError.notFound('API key');
    return entity;
  }

  async view(em: EntityManager, e: ApiKeyEntity): Promise<ApiKey> {
    const owner = await queryOne<KeyOwner>(
      em,
      sql`SELECT id, email, name FROM users WHERE id = ${e.ownerId}`,
    );
    const spent = await this.spend.currentSpendUsd(em, e.orgId, [e]);
    return toApiKey(e, owner ?? null, await this.orgRequestTotal(e.orgId, em), spent.get(e.id) ?? 0);
  }

  /** The view of a key re-read after a write. */
  async reread(em: EntityManager, id: string): Promise<ApiKey> {
    return this.view(em, await em.getRepository(ApiKeyEntity).findOneByOrFail({ id }));
  }

  async orgRequestTotal(orgId: string, em: EntityManager = this.db.manager): Promise<number> {
    const row = await queryOne<{ total: string | null }>(
      em,
      sql`SELECT sum(request_count) AS total FROM api_keys WHERE org_id = ${orgId} AND deleted_at IS NULL`,
    );
    return Number(row?.total ?? 0);
  }
}

/** 409 unless the key could authenticate by its status and expiry; `verb` completes "cannot be …". */
export function assertUsable(e: ApiKeyEntity, verb: string): void {
  const status = deriveStatus(e.status, e.expiresAt ? new Date(e.expiresAt) : null);
  if (status === 'revoked') throw new DomainError('key_revoked', `A revoked key cannot be ${verb}`);
  if (status === 'expired') {
    throw new DomainError('key_expired', `An expired key cannot be ${verb}; give it a new expiry first`);
  }
}
