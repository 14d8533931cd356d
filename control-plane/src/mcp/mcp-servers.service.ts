import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PageQuery } from '@portcullis/shared/api/queries';
import type { AuditAction } from '@portcullis/shared/audit';
import type { FieldIssue } from '@portcullis/shared/errors';
import type {
  CreateMcpServerInput,
  McpHeaders,
  McpServerView,
  McpTool,
  UpdateMcpServerInput,
} from '@portcullis/shared/mcp';
import { checkUpstreamUrl } from '@portcullis/shared/upstream-url';
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
import { ChangeRecorder } from '../snapshots/change-recorder';
import { SnapshotsService } from '../snapshots/snapshots.service';
import { fetchMcpTools, McpFetchError } from './mcp-tools-client';

interface McpServerRow {
  id: string;
  name: string;
  url: string;
  description: string | null;
  header_names: string[];
  tools: McpTool[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}
type UsedBy = McpServerView['usedBy'];

const SELECT = rawSql(
  'SELECT id, name, url, description, header_names, tools, enabled, created_at, updated_at FROM mcp_servers',
);
const UNIQUE_NAME = 'mcp_servers_org_id_name_key';

const toView = (r: McpServerRow, usedBy: UsedBy): McpServerView => ({
  id: r.id,
  name: r.name,
  url: r.url,
  description: r.description,
  headerNames: r.header_names,
  tools: r.tools,
  enabled: r.enabled,
  usedBy,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** What a member may see of a server: where it is and which headers it takes are for admins. */
const forCaller = (caller: OrgCaller, view: McpServerView): McpServerView => {
  if (caller.org.role === 'admin') return view;
  const { url: _url, headerNames: _headerNames, ...rest } = view;
  return rest;
};

const nameTaken = (name: string) =>
  new DomainError('conflict', `An MCP server named "${name}" already exists`, [
    { field: 'name', message: 'is already used by another MCP server' },
  ]);

const keysNaming = (usedBy: UsedBy) =>
  usedBy.map((k) => ({ field: 'usedBy', message: `key ${k.name} (${k.id})` }) satisfies FieldIssue);

/**
 * MCP servers: the upstreams a gateway proxies at `/mcp/:name`. Keys' MCP policies name servers by
 * `name` and bind late: a key may name a server that does not exist (yet), which is simply not
 * reachable. Because of that binding, a server that keys name cannot be renamed (a deny-list entry
 * would silently stop applying), and deleting it needs `?force=true` (the keys keep the name).
 *
 * The secret headers are sealed under the master key with the server id as associated data; only
 * their names are ever returned, audited or logged. Every change reaches gateways as an
 * `upsert_mcp_server` (headers re-sealed under the organization's snapshot key) or `delete_mcp_server`.
 */
@Injectable()
export class McpServersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly changes: ChangeRecorder,
    private readonly snapshots: SnapshotsService,
  ) {}

  async list(caller: OrgCaller, q: PageQuery): Promise<Page<McpServerView>> {
    const ks = nameKeyset('name', 'id', q);
    const rows: McpServerRow[] = await query(
      this.db,
      sql`${SELECT} WHERE org_id = ${caller.org.orgId} AND ${ks.where} ORDER BY name, id LIMIT ${ks.limit}`,
    );
    const usedBy = await this.usedBy(
      this.db.manager,
      caller.org.orgId,
      rows.slice(0, q.limit).map((r) => r.name),
    );
    return toPage(
      rows,
      q.limit,
      (r) => forCaller(caller, toView(r, usedBy.get(r.name) ?? [])),
      (r) => ({ v: r.name, i: r.id }),
    );
  }

  async get(caller: OrgCaller, id: string): Promise<McpServerView> {
    return forCaller(
      caller,
      await this.view(this.db.manager, caller, await this.find(this.db.manager, caller, id)),
    );
  }

  async create(caller: OrgCaller, input: CreateMcpServerInput): Promise<McpServerView> {
    this.checkUrl(input.url);
    const id = randomUUID();
    const headers = this.sealHeaders(input.headers, id);
    try {
      return await this.db.transaction(async (em) => {
        const rows: McpServerRow[] = await query(
          em,
          sql`INSERT INTO mcp_servers (id, org_id, name, url, description, headers_sealed, header_names,
              tools, enabled, created_by)
           VALUES (${id}, ${caller.org.orgId}, ${input.name}, ${input.url}, ${input.description ?? null},
             ${headers.sealed}, ${headers.names}, ${JSON.stringify(input.tools ?? [])}, ${input.enabled},
             ${caller.actor.userId})
           RETURNING id, name, url, description, header_names, tools, enabled, created_at, updated_at`,
        );
        const view = await this.view(em, caller, rows[0] as McpServerRow);
        await this.record(em, caller, 'mcp_server.created', id, null, view);
        return view;
      });
    } catch (err) {
      if (isUniqueViolation(err, UNIQUE_NAME)) throw nameTaken(input.name);
      throw err;
    }
  }

  /** `headers` replaces every secret header (`{}` removes them); `tools` replaces the catalog. */
  async update(caller: OrgCaller, id: string, input: UpdateMcpServerInput): Promise<McpServerView> {
    if (input.url !== undefined) this.checkUrl(input.url);
    try {
      return await this.db.transaction(async (em) => {
        const row = await this.find(em, caller, id, true);
        const before = await this.view(em, caller, row);
        if (input.name !== undefined && input.name !== row.name && before.usedBy.length > 0) {
          throw new DomainError(
            'conflict',
            `Keys name the MCP server "${row.name}" in their MCP policy (${before.usedBy.length}); ` +
              'a rename would change what they allow or deny. Edit those keys first, or create a new server',
            keysNaming(before.usedBy),
          );
        }
        const sets: Sql[] = [sql`updated_at = date_trunc('milliseconds', now())`];
        const set = (column: string, value: unknown) => {
          sets.push(sql`${rawSql(column)} = ${value}`);
        };
        if (input.name !== undefined) set('name', input.name);
        if (input.url !== undefined) set('url', input.url);
        if (input.description !== undefined) set('description', input.description);
        if (input.tools !== undefined) set('tools', JSON.stringify(input.tools));
        if (input.enabled !== undefined) set('enabled', input.enabled);
        if (input.headers !== undefined) {
          const headers = this.sealHeaders(input.headers, row.id);
          set('headers_sealed', headers.sealed);
          set('header_names', headers.names);
        }
        await execute(
          em,
          sql`UPDATE mcp_servers SET ${joinSql(sets, ', ')} WHERE org_id = ${caller.org.orgId}
              AND id = ${row.id}`,
        );
        const after = await this.view(em, caller, await this.find(em, caller, id));
        await this.record(em, caller, 'mcp_server.updated', row.id, before, {
          ...after,
          ...(input.headers !== undefined ? { headersReplaced: true } : {}),
        });
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err, UNIQUE_NAME)) throw nameTaken(input.name ?? '');
      throw err;
    }
  }

  /** Deletes a server; 409 while keys name it unless `force` (the keys keep naming it: names bind late). */
  async remove(caller: OrgCaller, id: string, force: boolean): Promise<void> {
    await this.db.transaction(async (em) => {
      const row = await this.find(em, caller, id, true);
      const before = await this.view(em, caller, row);
      if (before.usedBy.length > 0 && !force) {
        throw new DomainError(
          'conflict',
          `This MCP server is named by ${before.usedBy.length} key(s): ${before.usedBy
            .slice(0, 10)
            .map((k) => k.name)
            .join(', ')}. Edit them first, or pass ?force=true to delete it anyway`,
          keysNaming(before.usedBy),
        );
      }
      await execute(em, sql`DELETE FROM mcp_servers WHERE org_id = ${caller.org.orgId} AND id = ${row.id}`);
      await this.record(em, caller, 'mcp_server.deleted', row.id, before, null);
    });
  }

  /**
   * Replaces the tool catalog with what the server itself lists (initialize + tools/list), using its
   * secret headers. The network call runs outside any transaction; a server that cannot be read is a 422.
   */
  async refreshTools(caller: OrgCaller, id: string): Promise<McpServerView> {
    const row = await this.find(this.db.manager, caller, id);
    this.checkUrl(row.url);
    const sealed: { headers_sealed: string | null }[] = await query(
      this.db,
      sql`SELECT headers_sealed FROM mcp_servers WHERE org_id = ${caller.org.orgId} AND id = ${row.id}`,
    );
    const headersSealed = sealed[0]?.headers_sealed ?? null;
    const headers =
      headersSealed === null
        ? {}
        : (JSON.parse(this.box.open(headersSealed, row.id)) as Record<string, string>);
    let tools: McpTool[];
    try {
      tools = await fetchMcpTools(row.url, headers, this.config.MCP_ALLOWLIST);
    } catch (err) {
      const reason =
        err instanceof McpFetchError ? err.message : ((err as { code?: string }).code ?? 'failed');
      throw new DomainError(
        'unprocessable',
        `Could not read the tools of the MCP server at ${row.url}: ${reason}`,
      );
    }
    return this.db.transaction(async (em) => {
      const current = await this.find(em, caller, id, true);
      const before = await this.view(em, caller, current);
      await execute(
        em,
        sql`UPDATE mcp_servers SET tools = ${JSON.stringify(tools)}, updated_at = date_trunc('milliseconds',
            now()) WHERE org_id = ${caller.org.orgId} AND id = ${current.id}`,
      );
      const after = await this.view(em, caller, await this.find(em, caller, id));
      await this.record(em, caller, 'mcp_server.tools_refreshed', current.id, before, after);
      return after;
    });
  }

  private checkUrl(url: string): void {
    const r = checkUpstreamUrl(url, this.config.MCP_ALLOWLIST);
    if (!r.ok) throw DomainError.invalidField('url', r.reason);
  }

  /** Seals the headers' JSON under the master key (the server id as associated data); none → null. */
  private sealHeaders(
    headers: McpHeaders | undefined,
    id: string,
  ): { sealed: string | null; names: string[] } {
    const names = Object.keys(headers ?? {});
    if (!headers || names.length === 0) return { sealed: null, names: [] };
    return { sealed: this.box.seal(JSON.stringify(headers), id), names };
  }

  private find(em: EntityManager, caller: OrgCaller, id: string, lock = false): Promise<McpServerRow> {
    return foundById('MCP server', id, () =>
      queryOne<McpServerRow>(
        em,
        sql`${SELECT} WHERE id = ${id} AND org_id = ${caller.org.orgId}${lockClause(lock)}`,
      ),
    );
  }

  private async view(em: EntityManager, caller: OrgCaller, row: McpServerRow): Promise<McpServerView> {
    return toView(row, (await this.usedBy(em, caller.org.orgId, [row.name])).get(row.name) ?? []);
  }

  /** Live keys (not revoked, not deleted) whose MCP policy names each server, by server name. */
  private async usedBy(em: EntityManager, orgId: string, names: string[]): Promise<Map<string, UsedBy>> {
    const out = new Map<string, UsedBy>();
    if (names.length === 0) return out;
    const rows: { id: string; name: string; server: string }[] = await query(
      em,
      sql`SELECT k.id, k.name, s.server
         FROM api_keys k CROSS JOIN LATERAL jsonb_array_elements_text(k.mcp -> 'servers') AS s(server)
        WHERE k.org_id = ${orgId} AND k.deleted_at IS NULL AND k.status <> 'revoked'
          AND s.server = ANY(${names}::text[])
        ORDER BY k.name, k.id`,
    );
    for (const r of rows) {
      const list = out.get(r.server) ?? [];
      list.push({ type: 'key', id: r.id, name: r.name });
      out.set(r.server, list);
    }
    return out;
  }

  private async record(
    em: EntityManager,
    caller: OrgCaller,
    action: AuditAction,
    id: string,
    before: unknown,
    after: unknown,
  ): Promise<void> {
    await this.changes.record(em, caller, { action, targetType: 'mcp_server', targetId: id, before, after }, [
      await this.snapshots.mcpServerChange(em, caller.org.orgId, id),
    ]);
  }
}
