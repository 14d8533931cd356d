import { catalogKeys, catalogQueryOptions } from './catalog';
import { api } from './client';

/** MCP servers: everyone reads the catalog, admins change it. */
export const mcpServerKeys = catalogKeys('mcp-servers');

export const mcpServersQueryOptions = (orgId: string) =>
  catalogQueryOptions(mcpServerKeys, orgId, api.listMcpServers);
