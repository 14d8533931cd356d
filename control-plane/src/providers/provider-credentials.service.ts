import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import type { Provider } from '@portcullis/shared/api-keys';
import type { AuditAction } from '@portcullis/shared/audit';
import type { FieldIssue } from '@portcullis/shared/errors';
import {
  CREDENTIAL_CONFIG_SCHEMAS,
  CREDENTIAL_URL_FIELDS,
  type CreateCredentialInput,
  type CredentialConfig,
  type ProviderCredentialView,
  secretPreview,
  type UpdateCredentialInput,
} from '@portcullis/shared/providers';
import type { SnapshotChange } from '@portcullis/shared/snapshot';
import { checkUpstreamUrl } from '@portcullis/shared/upstream-url';
import { issuesToFields } from '@portcullis/shared/validation';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { nameKeyset, toPage } from '../common/keyset';
import type { Page } from '../common/pagination';
import { isUniqueViolation } from '../common/pg-errors';
import type { OrgCaller } from '../common/request-context';
import { foundById } from '../common/uuid';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { execute, joinSql, lockClause, query, queryOne, rawSql, type Sql, sql } from '../database/sql';
import { type AuditRecord, ChangeRecorder } from '../snapshots/change-recorder';
import { SnapshotsService } from '../snapshots/snapshots.service';

interface CredentialRow {
  id: string;
  name: string;
  provider: Provider;
  config: CredentialConfig;
  secret_preview: string;
  created_at: Date;
  updated_at: Date;
}
type UsedBy = ProviderCredentialView['usedBy'];

const SELECT = rawSql(
  'SELECT id, name, provider, config, secret_preview, created_at, updated_at FROM provider_credentials',
);

const toView = (r: CredentialRow, usedBy: UsedBy): ProviderCredentialView => ({
  id: r.id,
  name: r.name,
  provider: r.provider,
  secretPreview: r.secret_preview,
  config: r.config,
  usedBy,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const nameTaken = (name: string) =>
  new DomainError('conflict', `A provider credential named "${name}" already exists`, [
    { field: 'name', message: 'is already used by another provider credential' },
  ]);

/**
 * Provider credentials: reusable upstream secrets. The secret is sealed under the master key with the
 * credential id as associated data; it is never returned, logged or audited, only its short preview.
 * Every change reaches gateways as an `upsert_credential` (secret re-sealed under the organization's
 * snapshot key) or `delete_credential`.
 */
@Injectable()
export class ProviderCredentialsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
  ) {}

  async list(caller: OrgCaller, q: PageQuery): Promise<Page<ProviderCredentialView>> {
    const ks = nameKeyset('name', 'id', q);
    const rows: CredentialRow[] = await query(
      this.db,
      sql`${SELECT} WHERE org_id = ${caller.org.orgId} AND ${ks.where} ORDER BY name, id LIMIT ${ks.limit}`,
    );
    const usedBy = await this.usedBy(
      this.db.manager,
      rows.slice(0, q.limit).map((r) => r.id),
    );
    return toPage(
      rows,
      q.limit,
      (r) => toView(r, usedBy.get(r.id) ?? []),
      (r) => ({ v: r.name, i: r.id }),
    );
  }

  async get(caller: OrgCaller, id: string): Promise<ProviderCredentialView> {
    return this.view(this.db.manager, await this.find(this.db.manager, caller, id));
  }

  async create(caller: OrgCaller, input: CreateCredentialInput): Promise<ProviderCredentialView> {
    this.box.require();
    this.checkUrls(input.config);
    const id = randomUUID();
    try {
      return await this.db.transaction(async (em) => {
        const rows: CredentialRow[] = await query(
          em,
          sql`INSERT INTO provider_credentials (id, org_id, name, provider, config, secret_sealed,
              secret_preview, created_by)
           VALUES (${id}, ${caller.org.orgId}, ${input.name}, ${input.provider},
             ${JSON.stringify(input.config)}, ${this.box.seal(input.secret, id)},
             ${secretPreview(input.secret)}, ${caller.actor.userId})
           RETURNING id, name, provider, config, secret_preview, created_at, updated_at`,
        );
        const view = toView(rows[0] as CredentialRow, []);
        await this.record(em, caller, 'provider_credential.created', view, null, view, [
          await this.snapshots.credentialChange(em, caller.org.orgId, id),
        ]);
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'provider_credentials_org_id_name_key')) throw nameTaken(input.name);
      throw err;
    }
  }

  /** `config`, when given, replaces the whole config; `secret` replaces the secret. Models are untouched. */
  async update(caller: OrgCaller, id: string, input: UpdateCredentialInput): Promise<ProviderCredentialView> {
    try {
      return await this.db.transaction(async (em) => {
        const row = await this.find(em, caller, id, true);
        const before = await this.view(em, row);
        const sets: Sql[] = [sql`updated_at = date_trunc('milliseconds', now())`];
        const set = (column: string, value: unknown) => {
          sets.push(sql`${rawSql(column)} = ${value}`);
        };
        if (input.config !== undefined) {
          const parsed = CREDENTIAL_CONFIG_SCHEMAS[row.provider].safeParse(input.config);
          if (!parsed.success) {
            throw DomainError.invalidFields('Invalid body', issuesToFields(parsed.error, 'config'));
          }
          this.checkUrls(parsed.data);
          set('config', JSON.stringify(parsed.data));
        }
        if (input.secret !== undefined) {
          set('secret_sealed', this.box.seal(input.secret, row.id));
          set('secret_preview', secretPreview(input.secret));
        }
        if (input.name !== undefined) set('name', input.name);
        await execute(
          em,
          sql`UPDATE provider_credentials SET ${joinSql(sets, ', ')} WHERE org_id = ${caller.org.orgId}
              AND id = ${row.id}`,
        );
        const after = await this.view(em, await this.find(em, caller, id));
        await this.record(
          em,
          caller,
          'provider_credential.updated',
          after,
          before,
          { ...after, ...(input.secret !== undefined ? { secretReplaced: true } : {}) },
          [await this.snapshots.credentialChange(em, caller.org.orgId, row.id)],
        );
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'provider_credentials_org_id_name_key')) throw nameTaken(input.name ?? '');
      throw err;
    }
  }

  /**
   * Deletes a credential. Models that use it block the delete (409 listing them) unless `force`, which
   * deletes those models too, in the same transaction and the same snapshot change.
   */
  async remove(caller: OrgCaller, id: string, force: boolean): Promise<void> {
    await this.db.transaction(async (em) => {
      const row = await this.find(em, caller, id, true);
      const dependents: { id: string; slug: string }[] = await query(
        em,
        sql`SELECT id, slug FROM models WHERE credential_id = ${row.id} ORDER BY slug FOR UPDATE`,
      );
      if (dependents.length > 0 && !force) {
        throw new DomainError(
          'conflict',
          `This credential is used by ${dependents.length} model(s): ${dependents
            .slice(0, 10)
            .map((d) => d.slug)
            .join(', ')}. Delete or re-point them first, or pass ?force=true to delete them too`,
          dependents.map(
            (d) => ({ field: 'usedBy', message: `model ${d.slug} (${d.id})` }) satisfies FieldIssue,
          ),
        );
      }
      const before = await this.view(em, row);
      const records: AuditRecord[] = [];
      const changes: SnapshotChange[] = [];
      for (const m of dependents) {
        const model: unknown[] = await query(
          em,
          sql`SELECT id, slug, credential_id AS "credentialId", upstream_model AS "upstreamModel",
                  input_price_per_mtok::float8 AS "inputPricePerMTok",
                  output_price_per_mtok::float8 AS "outputPricePerMTok",
                  cache_write_price_per_mtok::float8 AS "cacheWritePricePerMTok",
                  cache_read_price_per_mtok::float8 AS "cacheReadPricePerMTok", enabled
             FROM models WHERE org_id = ${caller.org.orgId} AND id = ${m.id}`,
        );
        await execute(em, sql`DELETE FROM models WHERE org_id = ${caller.org.orgId} AND id = ${m.id}`);
        records.push({
          action: 'model.deleted',
          targetType: 'model',
          targetId: m.id,
          before: { ...(model[0] as object), reason: `forced delete of provider credential ${row.id}` },
          after: null,
        });
        changes.push({ op: 'delete_model', id: m.id });
      }
      await execute(
        em,
        sql`DELETE FROM provider_credentials WHERE org_id = ${caller.org.orgId} AND id = ${row.id}`,
      );
      changes.push({ op: 'delete_credential', id: row.id });
      records.push({
        action: 'provider_credential.deleted',
        targetType: 'provider_credential',
        targetId: row.id,
        before,
        after: null,
      });
      await this.changes.record(em, caller, records, changes);
    });
  }

  /** SSRF guard on every URL in a config; all refusals are named at once. */
  private checkUrls(config: CredentialConfig): void {
    const details: FieldIssue[] = [];
    for (const field of CREDENTIAL_URL_FIELDS) {
      const value = config[field];
      if (value === undefined) continue;
      const r = checkUpstreamUrl(value, this.config.UPSTREAM_ALLOWLIST);
      if (!r.ok) details.push({ field: `config.${field}`, message: r.reason });
    }
    if (details.length > 0) throw DomainError.invalidFields('Invalid body', details);
  }

  private find(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<CredentialRow> {
    return foundById('Provider credential', id, () =>
      queryOne<CredentialRow>(
        em,
        sql`${SELECT} WHERE id = ${id} AND org_id = ${caller.org.orgId}${lockClause(lock)}`,
      ),
    );
  }

  private async view(em: EntityManager, row: CredentialRow): Promise<ProviderCredentialView> {
    return toView(row, (await this.usedBy(em, [row.id])).get(row.id) ?? []);
  }

  private async usedBy(em: EntityManager, ids: string[]): Promise<Map<string, UsedBy>> {
    const out = new Map<string, UsedBy>();
    if (ids.length === 0) return out;
    const rows: { id: string; slug: string; credential_id: string }[] = await query(
      em,
      sql`SELECT id, slug, credential_id FROM models WHERE credential_id = ANY(${ids}::uuid[])
          ORDER BY slug, id`,
    );
    for (const r of rows) {
      const list = out.get(r.credential_id) ?? [];
      list.push({ type: 'model', id: r.id, slug: r.slug });
      out.set(r.credential_id, list);
    }
    return out;
  }

  private async record(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    target: ProviderCredentialView,
    before: unknown,
    after: unknown,
    changes: SnapshotChange[],
  ): Promise<void> {
    await this.changes.record(
      em,
      caller,
      { action, targetType: 'provider_credential', targetId: target.id, before, after },
      changes,
    );
  }
}
