import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { mcpServerKeys, refreshMcpTools } from '@/lib/api/mcp-servers';

/** Re-reads a server's tool catalog; a server that cannot be read answers 422, shown in the tools dialog. */
export const useRefreshMcpTools = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => refreshMcpTools(orgId, id),
    onSuccess: async (server) => {
      await queryClient.invalidateQueries({ queryKey: mcpServerKeys.lists(orgId) });
      toast.success(
        `${server.name}: ${server.tools.length} ${server.tools.length === 1 ? 'tool' : 'tools'} found`,
      );
    },
  });
};
