import { deleteMcpServer, mcpServerKeys } from '@/lib/api/mcp-servers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id, force }: { id: string; name: string; force: boolean }) =>
      deleteMcpServer(orgId, id, force),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (_, { name }) => `MCP server ${name} deleted`,
  });
