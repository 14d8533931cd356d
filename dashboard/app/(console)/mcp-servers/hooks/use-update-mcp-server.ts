import { validateBody } from '@portcullis/shared/api/client';
import { UpdateMcpServerSchema } from '@portcullis/shared/mcp';
import { api } from '@/lib/api/client';
import { mcpServerKeys } from '@/lib/api/mcp-servers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useUpdateMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      api.updateMcpServer({ org: orgId, id, body: validateBody(UpdateMcpServerSchema, body) }),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (server) => `MCP server ${server.name} saved`,
  });
