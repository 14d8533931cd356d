import type { CreateMcpServerInput, McpServerView, UpdateMcpServerInput } from '@portcullis/shared/mcp';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { objectSchema, orgApi, queryString } from './org';

/** MCP servers (`/orgs/:org/mcp-servers`): everyone reads the catalog, admins change it. */
export const mcpServerKeys = {
  all: ['mcp-servers'] as const,
  lists: (orgId: string) => [...mcpServerKeys.all, orgId, 'list'] as const,
  list: (orgId: string) => [...mcpServerKeys.lists(orgId)] as const,
};

const McpServerSchema = objectSchema<McpServerView>();

export const mcpServersQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: mcpServerKeys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, '/mcp-servers'), McpServerSchema, signal),
  });

const serverPath = (orgId: string, id: string, rest = '') =>
  orgApi(orgId, `/mcp-servers/${encodeURIComponent(id)}${rest}`);

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
  apiFetch(serverPath(orgId, id, queryString({ force: force || undefined })), {
    method: 'DELETE',
    schema: z.undefined(),
  });
