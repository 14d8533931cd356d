import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CreateEphemeralTokenInput, EphemeralToken } from '@portcullis/shared/api-keys';
import { displayPrefix, makeKey } from '@portcullis/shared/keys';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { OrgCaller } from '../common/request-context';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { argon2Hash } from '../crypto/hashing';
import { queryOne, sql } from '../database/sql';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { SnapshotsService } from '../snapshots/snapshots.service';
import type { ApiKeyEntity } from './api-key.entity';
import { ephemeralTokenExpiry, insertEphemeralToken, pruneEphemeralTokens } from './ephemeral-tokens';
import { assertUsable, KeyLookup } from './key-lookup';

/** A key may delegate while it could authenticate itself: not revoked, expired or inactive. */
function assertDelegable(e: ApiKeyEntity): void {
  assertUsable(e, 'used to issue ephemeral tokens');
  if (e.status === 'inactive') {
    throw new DomainError(
      'conflict',
      'An inactive key cannot be used to issue ephemeral tokens; activate it first',
    );
  }
}

@Injectable()
export class EphemeralTokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly lookup: KeyLookup,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Mints a short-lived token that acts as the key at every gateway (same rule as rotation for who may:
   * admins any key of the organization, members their own). The token is returned this once; only its
   * argon2id hash is stored and sent to gateways, in the snapshot delta of this transaction.
   */
  async create(caller: OrgCaller, id: string, input: CreateEphemeralTokenInput): Promise<EphemeralToken> {
    // Refuse what will be refused before paying for a hash.
    assertDelegable(await this.lookup.findVisible(this.db.manager, caller, id));
    const made = makeKey();
    const secretHash = await argon2Hash(made.secret);
    return this.db.transaction(async (em) => {
      const entity = await this.lookup.findVisible(em, caller, id, true);
      assertDelegable(entity);
      const expiresAt = ephemeralTokenExpiry(Date.now(), input.expiresInSeconds, entity.expiresAt);
      await pruneEphemeralTokens(em, caller.org.orgId);
      // The key's row is locked (findVisible), so parallel mints count one after another.
      const live = await queryOne<{ n: number; soonest: Date | null }>(
        em,
        sql`SELECT count(*)::int AS n, min(expires_at) AS soonest FROM api_key_ephemeral_tokens
             WHERE org_id = ${caller.org.orgId} AND api_key_id = ${entity.id} AND expires_at > now()`,
      );
      const maxTokens = this.config.MAX_EPHEMERAL_TOKENS_PER_KEY;
      if ((live?.n ?? 0) >= maxTokens) {
        const soonest = live?.soonest ? new Date(live.soonest).getTime() : Date.now();
        throw new DomainError(
          'too_many_tokens',
          `This key already has ${maxTokens} live ephemeral tokens, the most one key may (MAX_EPHEMERAL_TOKENS_PER_KEY); wait for one to expire or rotate the key`,
          undefined,
          { 'Retry-After': String(Math.max(1, Math.ceil((soonest - Date.now()) / 1000))) },
        );
      }
      const tokenRecordId = await insertEphemeralToken(em, {
        orgId: caller.org.orgId,
        apiKeyId: entity.id,
        tokenId: made.keyId,
        secretHash,
        expiresAt,
        createdBy: caller.actor.userId,
      });
      const prefix = displayPrefix(made.keyId);
      await this.changes.record(
        em,
        caller,
        {
          action: 'key.ephemeral_token_created',
          targetType: 'api_key',
          targetId: entity.id,
          before: null,
          after: {
            id: tokenRecordId,
            keyId: entity.id,
            prefix,
            expiresInSeconds: input.expiresInSeconds,
            expiresAt: expiresAt.toISOString(),
          },
        },
        [await this.snapshots.ephemeralTokenChange(em, caller.org.orgId, tokenRecordId)],
      );
      return {
        id: tokenRecordId,
        keyId: entity.id,
        prefix,
        token: made.key,
        expiresAt: expiresAt.toISOString(),
      };
    });
  }
}
