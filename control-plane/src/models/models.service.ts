import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import type { Provider } from '@portcullis/shared/api-keys';
import type { AuditAction } from '@portcullis/shared/audit';
import { modelAllowed } from '@portcullis/shared/policy';
import type { CreateModelInput, ModelView, UpdateModelInput } from '@portcullis/shared/providers';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { nameKeyset, toPage } from '../common/keyset';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../common/pg-errors';
import type { OrgCaller } from '../common/request-context';
import { foundById } from '../common/uuid';
import { execute, joinSql, query, queryOne, rawSql, type Sql, sql } from '../database/sql';
import { PolicyService } from '../policy/policy.service';
import { ChangeRecorder } from '../snapshots/change-recorder';
import { SnapshotsService } from '../snapshots/snapshots.service';

interface ModelRow {
  id: string;
  slug: string;
  credential_id: string;
  credential_name: string;
  provider: Provider;
  upstream_model: string;
  input_price_per_mtok: string;
  output_price_per_mtok: string;
  cache_write_price_per_mtok: string | null;
  cache_read_price_per_mtok: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`SELECT m.id, m.slug, m.credential_id, c.name AS credential_name, c.provider,
    m.upstream_model,
    m.input_price_per_mtok, m.output_price_per_mtok, m.cache_write_price_per_mtok,
      m.cache_read_price_per_mtok,
    m.enabled, m.created_at, m.updated_at
  FROM models m JOIN provider_credentials c ON c.id = m.credential_id`;

const toView = (r: ModelRow): ModelView => ({
  id: r.id,
  slug: r.slug,
  credentialId: r.credential_id,
  credential: { id: r.credential_id, name: r.credential_name, provider: r.provider },
  upstreamModel: r.upstream_model,
  inputPricePerMTok: Number(r.input_price_per_mtok),
  outputPricePerMTok: Number(r.output_price_per_mtok),
  cacheWritePricePerMTok: r.cache_write_price_per_mtok === null ? null : Number(r.cache_write_price_per_mtok),
  cacheReadPricePerMTok: r.cache_read_price_per_mtok === null ? null : Number(r.cache_read_price_per_mtok),
  enabled: r.enabled,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const slugTaken = (slug: string) =>
  new DomainError('conflict', `A model with slug "${slug}" already exists`, [
    { field: 'slug', message: 'is already used by another model' },
  ]);

/** The organization's model catalog: slug → (credential, upstream model, prices, enabled). */
@Injectable()
export class ModelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
    private readonly policy: PolicyService,
  ) {}

  /** Admins see the whole catalog; members only the enabled models their effective policy lets them use. */
  async list(caller: OrgCaller, q: PageQuery): Promise<Page<ModelView>> {
    const visible = await this.memberFilter(caller);
    const ks = nameKeyset('m.slug', 'm.id', q);
    const rows: ModelRow[] = await query(
      this.db,
      sql`${SELECT} WHERE m.org_id = ${caller.org.orgId} AND ${visible} AND ${ks.where}
           ORDER BY m.slug, m.id LIMIT ${ks.limit}`,
    );
    return toPage(rows, q.limit, toView, (r) => ({ v: r.slug, i: r.id }));
  }

  async get(caller: OrgCaller, id: string): Promise<ModelView> {
    const row = await this.find(this.db.manager, caller, id);
    if (caller.org.role !== 'admin') {
      const { models } = (
        await this.policy.userPolicy(this.db.manager, caller.org.orgId, caller.actor.userId)
      ).effective;
      if (!row.enabled || !modelAllowed(models, row.slug)) throw DomainError.notFound('Model');
    }
    return toView(row);
  }

  /** The SQL condition (on `m`) that limits a member to the models they may use; TRUE for admins. */
  private async memberFilter(caller: OrgCaller): Promise<Sql> {
    if (caller.org.role === 'admin') return sql`TRUE`;
    const { models } = (await this.policy.userPolicy(this.db.manager, caller.org.orgId, caller.actor.userId))
      .effective;
    if (models.all) return sql`m.enabled`;
    return sql`m.enabled AND m.slug = ANY(${models.allowed}::text[])`;
  }

  async create(caller: OrgCaller, input: CreateModelInput): Promise<ModelView> {
    try {
      return await this.db.transaction(async (em) => {
        await this.assertCredential(em, caller, input.credentialId);
        const rows: { id: string }[] = await query(
          em,
          sql`INSERT INTO models (org_id, slug, credential_id, upstream_model, input_price_per_mtok,
             output_price_per_mtok, cache_write_price_per_mtok, cache_read_price_per_mtok, enabled,
               created_by)
           VALUES (${caller.org.orgId}, ${input.slug}, ${input.credentialId}, ${input.upstreamModel},
             ${input.inputPricePerMTok}, ${input.outputPricePerMTok}, ${input.cacheWritePricePerMTok},
             ${input.cacheReadPricePerMTok}, ${input.enabled}, ${caller.actor.userId}) RETURNING id`,
        );
        const view = toView(await this.find(em, caller, rows[0]?.id ?? ''));
        await this.record(em, caller, 'model.created', view.id, null, view);
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'models_org_id_slug_key')) throw slugTaken(input.slug);
      throw err;
    }
  }

  async update(caller: OrgCaller, id: string, input: UpdateModelInput): Promise<ModelView> {
    try {
      return await this.db.transaction(async (em) => {
        const before = toView(await this.find(em, caller, id, true));
        if (input.credentialId !== undefined) await this.assertCredential(em, caller, input.credentialId);
        const columns: [string, unknown][] = [
          ['slug', input.slug],
          ['credential_id', input.credentialId],
          ['upstream_model', input.upstreamModel],
          ['input_price_per_mtok', input.inputPricePerMTok],
          ['output_price_per_mtok', input.outputPricePerMTok],
          ['cache_write_price_per_mtok', input.cacheWritePricePerMTok],
          ['cache_read_price_per_mtok', input.cacheReadPricePerMTok],
          ['enabled', input.enabled],
        ];
        const sets = [sql`updated_at = date_trunc('milliseconds', now())`];
        for (const [column, value] of columns) {
          if (value !== undefined) sets.push(sql`${rawSql(column)} = ${value}`);
        }
        await execute(
          em,
          sql`UPDATE models SET ${joinSql(sets, ', ')} WHERE org_id = ${caller.org.orgId}
              AND id = ${before.id}`,
        );
        const after = toView(await this.find(em, caller, id));
        await this.record(em, caller, 'model.updated', after.id, before, after);
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'models_org_id_slug_key')) throw slugTaken(input.slug ?? '');
      throw err;
    }
  }

  async remove(caller: OrgCaller, id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const before = toView(await this.find(em, caller, id, true));
      await execute(em, sql`DELETE FROM models WHERE org_id = ${caller.org.orgId} AND id = ${before.id}`);
      await this.record(em, caller, 'model.deleted', before.id, before, null);
    });
  }

  /** The credential must exist in the caller's organization; anything else is a bad field, not a 404. */
  private async assertCredential(em: EntityManager, caller: OrgCaller, credentialId: string): Promise<void> {
    const rows: unknown[] = await query(
      em,
      sql`SELECT 1 FROM provider_credentials WHERE id = ${credentialId}
          AND org_id = ${caller.org.orgId} FOR SHARE`,
    );
    if (rows.length === 0) {
      throw DomainError.invalidField('credentialId', 'is not a provider credential of this organization');
    }
  }

  private find(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<ModelRow> {
    return foundById('Model', id, () =>
      queryOne<ModelRow>(
        em,
        sql`${SELECT} WHERE m.id = ${id}
            AND m.org_id = ${caller.org.orgId}${rawSql(lock ? ' FOR UPDATE OF m' : '')}`,
      ),
    );
  }

  private async record(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    id: string,
    before: ModelView | null,
    after: ModelView | null,
  ): Promise<void> {
    await this.changes.record(em, caller, { action, targetType: 'model', targetId: id, before, after }, [
      after === null
        ? { op: 'delete_model', id }
        : await this.snapshots.modelChange(em, caller.org.orgId, id),
    ]);
  }
}
