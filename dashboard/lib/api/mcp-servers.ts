import type { CreateMcpServerInput, McpServerView, UpdateMcpServerInput } from '@portcullis/shared/mcp';
import { catalogKeys, catalogQueryOptions, deleteItem, itemPath } from './catalog';
import { apiFetch } from './client';
import { objectSchema, orgApi, queryString } from './org';

/** MCP servers (`/orgs/:org/mcp-servers`): everyone reads the catalog, admins change it. */
export const mcpServerKeys = catalogKeys('mcp-servers');

const McpServerSchema = objectSchema<McpServerView>();

export const mcpServersQueryOptions = (orgId: string) =>
  catalogQueryOptions(mcpServerKeys, orgId, '/mcp-servers', McpServerSchema);

const serverPath = (orgId: string, id: string, rest = '') => itemPath(orgId, '/mcp-servers', id, rest);

/** What the create form sends: `enabled` may be left to the API's default (true). */
export type CreateMcpServerBody = Omit<CreateMcpServerInput, 'enabled'> & { enabled?: boolean };

export const createMcpServer = (orgId: string, body: CreateMcpServerBody): Promise<McpServerView> =>
  apiFetch(orgApi(orgId, '/mcp-servers'), { method: 'POST', body, schema: McpServerSchema });

export const updateMcpServer = (
  orgId: string,
  id: string,
  body: UpdateMcpServerInput,
): Promise<McpServerView> =>
  apiFetch(serverPath(orgId, id), { method: 'PATCH', body, schema: McpServerSchema });

/** Asks the server for its tools (initialize + tools/list) and stores them; 422 when it cannot be read. */
export const refreshMcpTools = (orgId: string, id: string): Promise<McpServerView> =>
  apiFetch(serverPath(orgId, id, '/refresh-tools'), { method: 'POST', schema: McpServerSchema });

/** 409 while keys name the server, unless `force`. */
export const deleteMcpServer = (orgId: string, id: string, force = false): Promise<undefined> =>
  deleteItem(serverPath(orgId, id, queryString({ force: force || undefined })));
