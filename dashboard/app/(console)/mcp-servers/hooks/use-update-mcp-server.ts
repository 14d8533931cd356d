import { UpdateMcpServerSchema } from '@portcullis/shared/mcp';
import { mcpServerKeys, updateMcpServer } from '@/lib/api/mcp-servers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateMcpServer(orgId, id, validateBody(UpdateMcpServerSchema, body)),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (server) => `MCP server ${server.name} saved`,
  });
