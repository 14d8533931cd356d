import { UpdateMcpServerSchema } from '@portcullis/shared/mcp';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { mcpServerKeys, updateMcpServer } from '@/lib/api/mcp-servers';
import { validateBody } from '@/lib/api/validate';

export const useUpdateMcpServer = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: unknown }) =>
      updateMcpServer(orgId, id, validateBody(UpdateMcpServerSchema, body)),
    onSuccess: async (server) => {
      await queryClient.invalidateQueries({ queryKey: mcpServerKeys.lists(orgId) });
      toast.success(`MCP server ${server.name} saved`);
    },
  });
};
