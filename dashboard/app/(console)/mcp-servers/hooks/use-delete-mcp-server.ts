import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { deleteMcpServer, mcpServerKeys } from '@/lib/api/mcp-servers';

export const useDeleteMcpServer = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, force }: { id: string; name: string; force: boolean }) =>
      deleteMcpServer(orgId, id, force),
    onSuccess: async (_, { name }) => {
      await queryClient.invalidateQueries({ queryKey: mcpServerKeys.lists(orgId) });
      toast.success(`MCP server ${name} deleted`);
    },
  });
};
