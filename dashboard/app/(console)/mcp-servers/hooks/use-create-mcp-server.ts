import { CreateMcpServerSchema } from '@portcullis/shared/mcp';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createMcpServer, mcpServerKeys } from '@/lib/api/mcp-servers';
import { validateBody } from '@/lib/api/validate';

export const useCreateMcpServer = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async (body: unknown) => createMcpServer(orgId, validateBody(CreateMcpServerSchema, body)),
    onSuccess: async (server) => {
      await queryClient.invalidateQueries({ queryKey: mcpServerKeys.lists(orgId) });
      toast.success(`MCP server ${server.name} added`);
    },
  });
};
