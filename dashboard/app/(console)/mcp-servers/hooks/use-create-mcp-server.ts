import { CreateMcpServerSchema } from '@portcullis/shared/mcp';
import { createMcpServer, mcpServerKeys } from '@/lib/api/mcp-servers';
import { validateBody } from '@/lib/api/validate';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useCreateMcpServer = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: async (body: unknown) => createMcpServer(orgId, validateBody(CreateMcpServerSchema, body)),
    invalidate: [mcpServerKeys.lists(orgId)],
    success: (server) => `MCP server ${server.name} added`,
  });
