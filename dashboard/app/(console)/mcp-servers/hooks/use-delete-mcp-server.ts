import { api } from '@/lib/api/client';
import { mcpServerKeys } from '@/lib/api/mcp-servers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id, force }: { id: string; name: string; force: boolean }) =>
      api.deleteMcpServer({ org: orgId, id, query: { force: force ? 'true' : undefined } }),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (_, { name }) => `MCP server ${name} deleted`,
  });
