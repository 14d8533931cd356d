import { validateBody } from '@portcullis/shared/api/client';
import { CreateMcpServerSchema } from '@portcullis/shared/mcp';
import { api } from '@/lib/api/client';
import { mcpServerKeys } from '@/lib/api/mcp-servers';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) =>
      api.createMcpServer({ org: orgId, body: validateBody(CreateMcpServerSchema, body) }),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (server) => `MCP server ${server.name} added`,
  });
