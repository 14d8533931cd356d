import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type ApiKey,
  type CreateEphemeralTokenInput,
  type CreateKeyInput,
  DEFAULT_MCP_POLICY,
  type EphemeralToken,
  type Limits,
  type ListKeysQuery,
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
import { displayPrefix, makeKey } from '@portcullis/shared/keys';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import { findUnstorableText } from '@portcullis/shared/validation';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import type { OrgCaller } from '../common/request-context';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { argon2Hash } from '../crypto/hashing';
import { OrgsService } from '../orgs/orgs.service';
import { PolicyService } from '../policy/policy.service';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { orgSettings } from '../snapshots/snapshot-people';
import { SnapshotsService } from '../snapshots/snapshots.service';
import { SpendService } from '../usage/spend.service';
import { ApiKeyEntity } from './api-key.entity';
import {
  dropEphemeralTokens,
  ephemeralTokenExpiry,
  insertEphemeralToken,
  pruneEphemeralTokens,
} from './ephemeral-tokens';
import { deriveStatus, type KeyDetail, type KeyOwner, STATUS_SQL, toApiKey, withEffective } from './key-view';

const EMPTY_LIMITS: Limits = {
  requestsPerMinute: null,
  tokensPerMinute: null,
  inputTokensPerMinute: null,
  outputTokensPerMinute: null,
  concurrentRequests: null,
};

const isText = (v: string) => findUnstorableText(v) === null;

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

/** Sort key → SQL expression, the cast its cursor value needs, and what such a value looks like. */
const SORTS = {
  name: { expr: 'lower(k.name)', cast: 'text', defaultOrder: 'asc', text: 'lower(k.name)', valid: isText },
  owner: {
    expr: "lower(coalesce(u.name, '') || ' ' || coalesce(u.email, ''))",
    cast: 'text',
    defaultOrder: 'asc',
    text: "lower(coalesce(u.name, '') || ' ' || coalesce(u.email, ''))",
    valid: isText,
  },
  status: { expr: STATUS_SQL, cast: 'text', defaultOrder: 'asc', text: STATUS_SQL, valid: isText },
  requests: {
    expr: 'k.request_count',
    cast: 'bigint',
    defaultOrder: 'desc',
    text: 'k.request_count::text',
    valid: (v: string) => /^\d{1,18}$/.test(v),
  },
  created: {
    expr: 'k.created_at',
    cast: 'timestamptz',
    defaultOrder: 'desc',
    text: `to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    valid: (v: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  },
} as const;

interface KeyCursor {
  s: string;
  o: 'asc' | 'desc';
  v: string;
  i: string;
}
const isKeyCursor = (v: unknown): v is KeyCursor => {
  const c = v as Partial<KeyCursor> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.s === 'string' &&
    (c.o === 'asc' || c.o === 'desc') &&
    typeof c.v === 'string' &&
    c.v.length <= 400 &&
    isUuid(c.i)
  );
};

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

type ListRow = Record<string, unknown> & {
  sort_value: string;
  owner_email: string | null;
  owner_name: string | null;
};

@Injectable()
export class KeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    private readonly orgs: OrgsService,
    private readonly spend: SpendService,
    private readonly policy: PolicyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(caller: OrgCaller, q: ListKeysQuery): Promise<Page<ApiKey>> {
    const sort = SORTS[q.sort];
    const order = q.order ?? sort.defaultOrder;
    const params: unknown[] = [caller.org.orgId];
    const where = ['k.org_id = $1', 'k.deleted_at IS NULL'];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (caller.org.role !== 'admin') where.push(`k.owner_id = ${param(caller.actor.userId)}`);
    if (q.ownerId) where.push(`k.owner_id = ${param(q.ownerId)}`);
    if (q.search) {
      const p = param(`%${escapeLike(q.search)}%`);
      where.push(`(k.name ILIKE ${p} OR ('ptcl_' || k.key_id) ILIKE ${p})`);
    }
    if (q.status) where.push(`(${STATUS_SQL}) = ${param(q.status)}`);
    if (q.cursor) {
      const c = decodeCursor(q.cursor, isKeyCursor);
      if (!sort.valid(c.v)) throw DomainError.invalidField('cursor', 'is not a valid cursor');
      if (c.s !== q.sort || c.o !== order) {
        throw DomainError.invalidField(
          'cursor',
          'belongs to a different sort order; start again without a cursor',
        );
      }
      const cmp = order === 'asc' ? '>' : '<';
      where.push(`((${sort.expr}), k.id) ${cmp} (${param(c.v)}::${sort.cast}, ${param(c.i)}::uuid)`);
    }
    const limit = param(q.limit + 1);
    const rows: ListRow[] = await this.db.query(
      `SELECT k.id, (${sort.text}) AS sort_value, u.email AS owner_email, u.name AS owner_name
         FROM api_keys k LEFT JOIN users u ON u.id = k.owner_id
        WHERE ${where.join(' AND ')}
        ORDER BY (${sort.expr}) ${order}, k.id ${order}
        LIMIT ${limit}`,
      params,
    );
    const pageRows = rows.slice(0, q.limit);
    const ids = pageRows.map((r) => r.id as string);
    const entities = ids.length
      ? await this.db.getRepository(ApiKeyEntity).createQueryBuilder('k').whereInIds(ids).getMany()
      : [];
    const byId = new Map(entities.map((e) => [e.id, e]));
    const total = await this.orgRequestTotal(caller.org.orgId);
    const spent = await this.spend.currentSpendUsd(this.db.manager, caller.org.orgId, entities);
    const data = pageRows.flatMap((r) => {
      const e = byId.get(r.id as string);
      if (!e) return [];
      const owner = r.owner_email ? { id: e.ownerId, email: r.owner_email, name: r.owner_name ?? '' } : null;
      return [toApiKey(e, owner, total, spent.get(e.id) ?? 0)];
    });
    const last = pageRows[pageRows.length - 1];
    return {
      data,
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor({ s: q.sort, o: order, v: last.sort_value, i: last.id as string })
          : null,
    };
  }

  async get(caller: OrgCaller, id: string): Promise<KeyDetail> {
    const entity = await this.findVisible(this.db.manager, caller, id);
    const key = await this.view(this.db.manager, entity);
    return withEffective(key, await this.policy.keyEffective(this.db.manager, caller.org.orgId, key));
  }

  async create(caller: OrgCaller, input: CreateKeyInput): Promise<{ key: ApiKey; secret: string }> {
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
      const fresh = await repo.findOneByOrFail({ id: saved.id });
      const view = await this.view(em, fresh);
      await this.record(em, caller, 'key.created', view, null, view);
      return view;
    });
    return { key, secret: made.key };
  }

  async update(caller: OrgCaller, id: string, input: UpdateKeyInput): Promise<ApiKey> {
    return this.db.transaction(async (em) => {
      const entity = await this.findVisible(em, caller, id, true);
      if (entity.status === 'revoked') throw new DomainError('key_revoked', 'A revoked key cannot be edited');
      const before = await this.view(em, entity);
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
      const after = await this.view(
        em,
        await em.getRepository(ApiKeyEntity).findOneByOrFail({ id: entity.id }),
      );
      await this.record(em, caller, 'key.updated', after, before, after);
      return after;
    });
  }

  async rotate(caller: OrgCaller, id: string): Promise<{ key: ApiKey; secret: string }> {
    const probe = await this.findVisible(this.db.manager, caller, id);
    const made = makeKey(probe.keyId);
    const secretHash = await argon2Hash(made.secret);
    const key = await this.db.transaction(async (em) => {
      const entity = await this.findVisible(em, caller, id, true);
      this.assertUsable(entity, 'rotated');
      const before = await this.view(em, entity);
      await em.query(
        'UPDATE api_keys SET secret_hash = $2, last_rotated_at = now(), updated_at = now() WHERE id = $1',
        [entity.id, secretHash],
      );
      // Tokens delegated from the old secret die with it, in the same delta as the new secret.
      const hadTokens = await dropEphemeralTokens(em, caller.org.orgId, entity.id);
      const after = await this.view(
        em,
        await em.getRepository(ApiKeyEntity).findOneByOrFail({ id: entity.id }),
      );
      await this.record(em, caller, 'key.rotated', after, before, after, hadTokens ? entity.id : null);
      return after;
    });
    return { key, secret: made.key };
  }

  /**
   * Mints a short-lived token that acts as the key at every gateway (same rule as rotation for who may:
   * admins any key of the organization, members their own). The token is returned this once; only its
   * argon2id hash is stored and sent to gateways, in the snapshot delta of this transaction.
   */
  /** 409 `limit_reached` when the owner already has MAX_KEYS_PER_USER live keys in the organization. */
  private async assertBelowKeyCap(em: EntityManager, orgId: string, ownerId: string): Promise<void> {
    // The owner's membership row lock serializes key creation for them, so a burst cannot overshoot.
    await em.query('SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2 FOR UPDATE', [
      orgId,
      ownerId,
    ]);
    const rows: { n: number }[] = await em.query(
      `SELECT count(*)::int AS n FROM api_keys
        WHERE org_id = $1 AND owner_id = $2 AND deleted_at IS NULL AND status <> 'revoked'`,
      [orgId, ownerId],
    );
    const max = this.config.MAX_KEYS_PER_USER;
    if ((rows[0]?.n ?? 0) >= max) {
      throw new DomainError(
        'limit_reached',
        `This user already has ${max} live keys in the organization, the most one user may (MAX_KEYS_PER_USER); revoke or delete one first`,
      );
    }
  }

  async createEphemeralToken(
    caller: OrgCaller,
    id: string,
    input: CreateEphemeralTokenInput,
  ): Promise<EphemeralToken> {
    // Refuse what will be refused before paying for a hash.
    this.assertDelegable(await this.findVisible(this.db.manager, caller, id));
    const made = makeKey();
    const secretHash = await argon2Hash(made.secret);
    return this.db.transaction(async (em) => {
      const entity = await this.findVisible(em, caller, id, true);
      this.assertDelegable(entity);
      const expiresAt = ephemeralTokenExpiry(Date.now(), input.expiresInSeconds, entity.expiresAt);
      await pruneEphemeralTokens(em, caller.org.orgId);
      // The key's row is locked (findVisible), so parallel mints count one after another.
      const live: { n: number; soonest: Date | null }[] = await em.query(
        `SELECT count(*)::int AS n, min(expires_at) AS soonest FROM api_key_ephemeral_tokens
          WHERE api_key_id = $1 AND expires_at > now()`,
        [entity.id],
      );
      const maxTokens = this.config.MAX_EPHEMERAL_TOKENS_PER_KEY;
      if ((live[0]?.n ?? 0) >= maxTokens) {
        const soonest = live[0]?.soonest ? new Date(live[0].soonest).getTime() : Date.now();
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
        this.assertUsable(e, 'activated');
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
      const entity = await this.findVisible(em, caller, id, true);
      const before = await this.view(em, entity);
      await em.query(
        'UPDATE api_keys SET deleted_at = now(), secret_hash = NULL, updated_at = now() WHERE id = $1',
        [entity.id],
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
      const entity = await this.findVisible(em, caller, id, true);
      const status = next(entity);
      const before = await this.view(em, entity);
      if (status === null) return before;
      // Who deactivated it decides who may activate it again; any other transition clears that.
      await em.query(
        `UPDATE api_keys SET status = $2, updated_at = now(),
           revoked_at = CASE WHEN $2 = 'revoked' THEN now() ELSE revoked_at END,
           secret_hash = CASE WHEN $2 = 'revoked' THEN NULL ELSE secret_hash END,
           deactivated_by_admin = ($2 = 'inactive' AND $3::boolean)
         WHERE id = $1`,
        [entity.id, status, caller.org.role === 'admin'],
      );
      const hadTokens = dropTokens && (await dropEphemeralTokens(em, caller.org.orgId, entity.id));
      const after = await this.view(
        em,
        await em.getRepository(ApiKeyEntity).findOneByOrFail({ id: entity.id }),
      );
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

  /** A key may delegate while it could authenticate itself: not revoked, expired or inactive. */
  private assertDelegable(e: ApiKeyEntity): void {
    this.assertUsable(e, 'used to issue ephemeral tokens');
    if (e.status === 'inactive') {
      throw new DomainError(
        'conflict',
        'An inactive key cannot be used to issue ephemeral tokens; activate it first',
      );
    }
  }

  private assertUsable(e: ApiKeyEntity, verb: string): void {
    const status = deriveStatus(e.status, e.expiresAt ? new Date(e.expiresAt) : null);
    if (status === 'revoked') throw new DomainError('key_revoked', `A revoked key cannot be ${verb}`);
    if (status === 'expired') {
      throw new DomainError('key_expired', `An expired key cannot be ${verb}; give it a new expiry first`);
    }
  }

  /** A key the caller may see: in their organization, not deleted, and their own unless they are an admin. */
  private async findVisible(
    em: EntityManager,
    caller: OrgCaller,
    id: string,
    lock = false,
  ): Promise<ApiKeyEntity> {
    if (!isUuid(id)) throw DomainError.notFound('API key');
    const qb = em
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.id = :id AND k.orgId = :orgId AND k.deletedAt IS NULL', { id, orgId: caller.org.orgId });
    if (caller.org.role !== 'admin') qb.andWhere('k.ownerId = :me', { me: caller.actor.userId });
    if (lock) qb.setLock('pessimistic_write');
    const entity = await qb.getOne();
    if (!entity) throw DomainError.notFound('API key');
    return entity;
  }

  private async view(em: EntityManager, e: ApiKeyEntity): Promise<ApiKey> {
    const owners: KeyOwner[] = await em.query('SELECT id, email, name FROM users WHERE id = $1', [e.ownerId]);
    const spent = await this.spend.currentSpendUsd(em, e.orgId, [e]);
    return toApiKey(e, owners[0] ?? null, await this.orgRequestTotal(e.orgId, em), spent.get(e.id) ?? 0);
  }

  private async orgRequestTotal(orgId: string, em: EntityManager = this.db.manager): Promise<number> {
    const rows: { total: string | null }[] = await em.query(
      'SELECT sum(request_count) AS total FROM api_keys WHERE org_id = $1 AND deleted_at IS NULL',
      [orgId],
    );
    return Number(rows[0]?.total ?? 0);
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
