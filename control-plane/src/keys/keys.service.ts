import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type ApiKey,
  type CreateKeyInput,
  DEFAULT_MCP_POLICY,
  type KeyWithSecret,
  type Limits,
  type McpPolicy,
  normalizeMcpPolicy,
  type UpdateKeyInput,
} from '@portcullis/shared/api-keys';
import type { AuditAction } from '@portcullis/shared/audit';
import { expiryFromPreset } from '@portcullis/shared/expiry';
import {
  ceilingViolations,
  type KeyRestrictions,
  mcpCapPolicy,
  mcpExcess,
  RESTRICTION_FIELDS,
  type RestrictionField,
  raiseCeiling,
} from '@portcullis/shared/key-ceiling';
import { makeKey } from '@portcullis/shared/keys';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import type { OrgCaller } from '../common/request-context';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { argon2Hash } from '../crypto/hashing';
import { bind, execute, queryOne, sql } from '../database/sql';
import { OrgsService } from '../orgs/orgs.service';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { orgSettings } from '../snapshots/snapshot-people';
import { SnapshotsService } from '../snapshots/snapshots.service';
import { ApiKeyEntity } from './api-key.entity';
import { dropEphemeralTokens } from './ephemeral-tokens';
import { assertUsable, KeyLookup } from './key-lookup';

const EMPTY_LIMITS: Limits = {
  requestsPerMinute: null,
  tokensPerMinute: null,
  inputTokensPerMinute: null,
  outputTokensPerMinute: null,
  concurrentRequests: null,
};

/** The restrictions an update names (`expiresIn` sets `expiresAt`). */
const writtenRestrictions = (input: UpdateKeyInput): RestrictionField[] =>
  RESTRICTION_FIELDS.filter((f) =>
    f === 'expiresAt'
      ? input.expiresAt !== undefined || input.expiresIn !== undefined
      : input[f] !== undefined,
  );

const restrictionsOf = (e: ApiKeyEntity): KeyRestrictions => ({
  limits: { ...EMPTY_LIMITS, ...e.limits },
  budget: e.budget,
  allowedProviders: e.allowedProviders,
  allowedModels: e.allowedModels,
  ipAllowlist: e.ipAllowlist,
  expiresAt: e.expiresAt ? new Date(e.expiresAt).toISOString() : null,
  mcp: normalizeMcpPolicy(e.mcp),
});

/** Members may tighten their keys, never loosen them: only admins open calls that name no model. */
function assertMayAllowCallsWithoutModel(caller: OrgCaller): void {
  if (caller.org.role === 'admin') return;
  throw new DomainError(
    'forbidden',
    'Only organization admins may set allowCallsWithoutModel (calls that name no model) on a key',
    [{ field: 'allowCallsWithoutModel', message: 'only organization admins may turn this on' }],
  );
}

@Injectable()
export class KeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    private readonly orgs: OrgsService,
    private readonly lookup: KeyLookup,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(caller: OrgCaller, input: CreateKeyInput): Promise<KeyWithSecret> {
    const ownerId = input.ownerId ?? caller.actor.userId;
    if (ownerId !== caller.actor.userId && caller.org.role !== 'admin') {
      throw new DomainError('forbidden', 'Only organization admins may create keys for other users');
    }
    if (input.allowCallsWithoutModel === true) assertMayAllowCallsWithoutModel(caller);
    const expiresAt =
      input.expiresAt !== undefined && input.expiresAt !== null
        ? new Date(input.expiresAt)
        : expiryFromPreset(input.expiresIn ?? 'never', new Date());
    const made = makeKey();
    const secretHash = await argon2Hash(made.secret);
    const key = await this.db.transaction(async (em) => {
      if (!(await this.orgs.isMember(caller.org.orgId, ownerId, em))) {
        throw DomainError.invalidField('ownerId', 'is not a member of this organization');
      }
      await this.assertBelowKeyCap(em, caller.org.orgId, ownerId);
      const mcp = input.mcp ?? DEFAULT_MCP_POLICY;
      if (caller.org.role !== 'admin') await this.assertWithinOrgMcpCap(em, caller, mcp);
      const repo = em.getRepository(ApiKeyEntity);
      const restrictions: KeyRestrictions = {
        limits: { ...EMPTY_LIMITS, ...input.limits },
        budget: input.budget ?? null,
        allowedProviders: input.allowedProviders ?? [],
        allowedModels: input.allowedModels ?? [],
        ipAllowlist: input.ipAllowlist ?? [],
        expiresAt: expiresAt ? expiresAt.toISOString() : null,
        mcp,
      };
      const saved = await repo.save(
        repo.create({
          orgId: caller.org.orgId,
          ownerId,
          name: input.name,
          keyId: made.keyId,
          secretHash,
          status: 'active',
          expiresAt,
          limits: { ...EMPTY_LIMITS, ...input.limits },
          budget: input.budget ?? null,
          allowedProviders: input.allowedProviders ?? [],
          allowedModels: input.allowedModels ?? [],
          ipAllowlist: input.ipAllowlist ?? [],
          metadata: input.metadata ?? {},
          mcp,
          allowCallsWithoutModel: input.allowCallsWithoutModel ?? false,
          // An admin's key for someone else: what the admin set is that owner's ceiling.
          adminCeiling:
            caller.org.role === 'admin' && ownerId !== caller.actor.userId
              ? raiseCeiling(null, restrictions)
              : null,
          createdBy: caller.actor.userId,
        }),
      );
      const view = await this.lookup.reread(em, saved.id);
      await this.record(em, caller, 'key.created', view, null, view);
      return view;
    });
    return { key, secret: made.key };
  }

  async update(caller: OrgCaller, id: string, input: UpdateKeyInput): Promise<ApiKey> {
    return this.db.transaction(async (em) => {
      const entity = await this.lookup.findVisible(em, caller, id, true);
      if (entity.status === 'revoked') throw new DomainError('key_revoked', 'A revoked key cannot be edited');
      const before = await this.lookup.view(em, entity);
      if (input.ownerId !== undefined && input.ownerId !== entity.ownerId) {
        if (caller.org.role !== 'admin')
          throw new DomainError('forbidden', 'Only organization admins may change owners');
        if (!(await this.orgs.isMember(caller.org.orgId, input.ownerId, em))) {
          throw DomainError.invalidField('ownerId', 'is not a member of this organization');
        }
        // A hand-over is a new key for its new owner: otherwise an admin could pass the cap by making
        // keys for someone with room and handing them over.
        await this.assertBelowKeyCap(em, caller.org.orgId, input.ownerId);
        entity.ownerId = input.ownerId;
      }
      if (input.name !== undefined) entity.name = input.name;
      if (input.expiresAt !== undefined)
        entity.expiresAt = input.expiresAt === null ? null : new Date(input.expiresAt);
      else if (input.expiresIn !== undefined)
        entity.expiresAt = expiryFromPreset(input.expiresIn, new Date());
      if (input.limits !== undefined) entity.limits = { ...EMPTY_LIMITS, ...entity.limits, ...input.limits };
      if (input.budget !== undefined) entity.budget = input.budget;
      if (input.allowedProviders !== undefined) entity.allowedProviders = input.allowedProviders;
      if (input.allowedModels !== undefined) entity.allowedModels = input.allowedModels;
      if (input.ipAllowlist !== undefined) entity.ipAllowlist = input.ipAllowlist;
      if (input.metadata !== undefined) entity.metadata = input.metadata;
      if (input.mcp !== undefined) entity.mcp = input.mcp;
      if (input.allowCallsWithoutModel !== undefined) {
        // Turning it on widens what the key reaches: admins only. Sending the value it already has
        // (a form saving other fields) or turning it off is anyone's.
        if (input.allowCallsWithoutModel && !entity.allowCallsWithoutModel)
          assertMayAllowCallsWithoutModel(caller);
        entity.allowCallsWithoutModel = input.allowCallsWithoutModel;
      }
      const written = writtenRestrictions(input);
      if (caller.org.role !== 'admin') {
        await this.assertNotLoosened(em, caller, entity, written, input.expiresIn !== undefined);
      } else if (entity.ownerId !== caller.actor.userId) {
        // What an admin sets on someone else's key is that owner's ceiling; handing a key over makes
        // every restriction it has the new owner's ceiling.
        const handedOver = input.ownerId !== undefined && input.ownerId !== before.ownerId;
        const fields = handedOver ? RESTRICTION_FIELDS : written;
        if (fields.length > 0) {
          const now = restrictionsOf(entity);
          const values: Partial<KeyRestrictions> & { limitFields?: (keyof Limits)[] } = {};
          for (const f of fields) Object.assign(values, { [f]: now[f] });
          if (!handedOver && input.limits) values.limitFields = Object.keys(input.limits) as (keyof Limits)[];
          entity.adminCeiling = raiseCeiling(entity.adminCeiling, values);
        }
      }
      await em.getRepository(ApiKeyEntity).save(entity);
      const after = await this.lookup.reread(em, entity.id);
      await this.record(em, caller, 'key.updated', after, before, after);
      return after;
    });
  }

  async rotate(caller: OrgCaller, id: string): Promise<KeyWithSecret> {
    const probe = await this.lookup.findVisible(this.db.manager, caller, id);
    const made = makeKey(probe.keyId);
    const secretHash = await argon2Hash(made.secret);
    const key = await this.db.transaction(async (em) => {
      const entity = await this.lookup.findVisible(em, caller, id, true);
      assertUsable(entity, 'rotated');
      const before = await this.lookup.view(em, entity);
      await execute(
        em,
        sql`UPDATE api_keys SET secret_hash = ${secretHash}, last_rotated_at = now(), updated_at = now()
             WHERE org_id = ${entity.orgId} AND id = ${entity.id}`,
      );
      // Tokens delegated from the old secret die with it, in the same delta as the new secret.
      const hadTokens = await dropEphemeralTokens(em, caller.org.orgId, entity.id);
      const after = await this.lookup.reread(em, entity.id);
      await this.record(em, caller, 'key.rotated', after, before, after, hadTokens ? entity.id : null);
      return after;
    });
    return { key, secret: made.key };
  }

  /** 409 `limit_reached` when the owner already has MAX_KEYS_PER_USER live keys in the organization. */
  private async assertBelowKeyCap(em: EntityManager, orgId: string, ownerId: string): Promise<void> {
    // The owner's membership row lock serializes key creation for them, so a burst cannot overshoot.
    await queryOne(
      em,
      sql`SELECT 1 FROM memberships WHERE org_id = ${orgId} AND user_id = ${ownerId} FOR UPDATE`,
    );
    const live = await queryOne<{ n: number }>(
      em,
      sql`SELECT count(*)::int AS n FROM api_keys
           WHERE org_id = ${orgId} AND owner_id = ${ownerId} AND deleted_at IS NULL
             AND status <> 'revoked'`,
    );
    const max = this.config.MAX_KEYS_PER_USER;
    if ((live?.n ?? 0) >= max) {
      throw new DomainError(
        'limit_reached',
        `This user already has ${max} live keys in the organization, the most one user may (MAX_KEYS_PER_USER); revoke or delete one first`,
      );
    }
  }

  /**
   * Ephemeral tokens are refused while their key is inactive and do not come back with it: a key is
   * often paused because something leaked, so re-activation drops them (clients mint new ones).
   */
  activate(caller: OrgCaller, id: string): Promise<ApiKey> {
    return this.transition(
      caller,
      id,
      'key.activated',
      (e) => {
        assertUsable(e, 'activated');
        if (e.status !== 'active' && e.deactivatedByAdmin && caller.org.role !== 'admin') {
          throw new DomainError('forbidden', 'An admin deactivated this key; only an admin can activate it', [
            { field: 'status', message: 'was set to inactive by an admin' },
          ]);
        }
        return e.status === 'active' ? null : 'active';
      },
      true,
    );
  }

  deactivate(caller: OrgCaller, id: string): Promise<ApiKey> {
    return this.transition(caller, id, 'key.deactivated', (e) => {
      if (e.status === 'revoked') throw new DomainError('key_revoked', 'A revoked key cannot be deactivated');
      return e.status === 'inactive' ? null : 'inactive';
    });
  }

  revoke(caller: OrgCaller, id: string): Promise<ApiKey> {
    return this.transition(caller, id, 'key.revoked', (e) => {
      if (e.status === 'revoked') throw new DomainError('key_revoked', 'This key is already revoked');
      return 'revoked';
    });
  }

  async remove(caller: OrgCaller, id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const entity = await this.lookup.findVisible(em, caller, id, true);
      const before = await this.lookup.view(em, entity);
      await execute(
        em,
        sql`UPDATE api_keys SET deleted_at = now(), secret_hash = NULL, updated_at = now()
             WHERE org_id = ${entity.orgId} AND id = ${entity.id}`,
      );
      const hadTokens = await dropEphemeralTokens(em, caller.org.orgId, entity.id);
      await this.record(em, caller, 'key.deleted', before, before, null, hadTokens ? entity.id : null);
    });
  }

  /** Applies a status change; `next` returns null for a no-op (already in that state: nothing is written). */
  private async transition(
    caller: OrgCaller,
    id: string,
    action: AuditAction,
    next: (e: ApiKeyEntity) => 'active' | 'inactive' | 'revoked' | null,
    dropTokens = false,
  ): Promise<ApiKey> {
    return this.db.transaction(async (em) => {
      const entity = await this.lookup.findVisible(em, caller, id, true);
      const status = next(entity);
      const before = await this.lookup.view(em, entity);
      if (status === null) return before;
      // Who deactivated it decides who may activate it again; any other transition clears that.
      const to = bind(status);
      await execute(
        em,
        sql`UPDATE api_keys SET status = ${to}, updated_at = now(),
              revoked_at = CASE WHEN ${to} = 'revoked' THEN now() ELSE revoked_at END,
              secret_hash = CASE WHEN ${to} = 'revoked' THEN NULL ELSE secret_hash END,
              deactivated_by_admin = (${to} = 'inactive' AND ${caller.org.role === 'admin'}::boolean)
            WHERE org_id = ${entity.orgId} AND id = ${entity.id}`,
      );
      const hadTokens = dropTokens && (await dropEphemeralTokens(em, caller.org.orgId, entity.id));
      const after = await this.lookup.reread(em, entity.id);
      await this.record(em, caller, action, after, before, after, hadTokens ? entity.id : null);
      return after;
    });
  }

  /**
   * A member's change to their own key: each restriction it writes must stay within what an admin set
   * on the key, and an MCP policy within the organization's default for members. 403 naming each field.
   */
  private async assertNotLoosened(
    em: EntityManager,
    caller: OrgCaller,
    entity: ApiKeyEntity,
    written: readonly RestrictionField[],
    viaPreset: boolean,
  ): Promise<void> {
    const touched = new Set<string>(written);
    const issues = ceilingViolations(entity.adminCeiling, restrictionsOf(entity)).filter((i) =>
      touched.has(i.field.split('.')[0] as string),
    );
    if (touched.has('mcp'))
      issues.push(...(await this.orgMcpCapIssues(em, caller, normalizeMcpPolicy(entity.mcp))));
    if (viaPreset) for (const i of issues) if (i.field === 'expiresAt') i.field = 'expiresIn';
    if (issues.length > 0) {
      throw new DomainError(
        'forbidden',
        'Members may tighten the restrictions an admin set on their keys, not loosen them',
        issues,
      );
    }
  }

  private async assertWithinOrgMcpCap(em: EntityManager, caller: OrgCaller, mcp: McpPolicy): Promise<void> {
    const issues = await this.orgMcpCapIssues(em, caller, mcp);
    if (issues.length > 0) {
      throw new DomainError(
        'forbidden',
        "The organization's default MCP policy does not let members give their keys this access",
        issues,
      );
    }
  }

  private async orgMcpCapIssues(em: EntityManager, caller: OrgCaller, mcp: McpPolicy) {
    const cap = (await orgSettings(em, caller.org.orgId)).defaultMcpPolicy;
    return mcpExcess(mcp, mcpCapPolicy(cap), "(the organization's default MCP policy for members)");
  }

  /**
   * Every key mutation: one audit record and one snapshot change (the key as gateways must now see it,
   * or its deletion), in the mutation's own transaction. `droppedTokensOf` names the key whose ephemeral
   * tokens the mutation removed, so gateways drop them in the same delta.
   */
  private async record(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    target: ApiKey,
    before: ApiKey | null,
    after: ApiKey | null,
    droppedTokensOf: string | null = null,
  ): Promise<void> {
    const change: SnapshotChange =
      after === null
        ? { op: 'delete_key', id: target.id }
        : await this.snapshots.keyChange(em, caller.org.orgId, target.id);
    const changes: SnapshotChange[] = [change];
    if (droppedTokensOf !== null) changes.push({ op: 'delete_ephemeral_tokens', apiKeyId: droppedTokensOf });
    await this.changes.record(
      em,
      caller,
      { action, targetType: 'api_key', targetId: target.id, before, after },
      changes,
    );
  }
}
