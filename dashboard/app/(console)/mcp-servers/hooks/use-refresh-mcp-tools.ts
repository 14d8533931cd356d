import { api } from '@/lib/api/client';
import { mcpServerKeys } from '@/lib/api/mcp-servers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** Re-reads a server's tool catalog; a server that cannot be read answers 422, shown in the tools dialog. */
export const useRefreshMcpTools = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: (id: string) => api.refreshMcpServerTools({ org: orgId, id }),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (server) =>
      `${server.name}: ${server.tools.length} ${server.tools.length === 1 ? 'tool' : 'tools'} found`,
  });
