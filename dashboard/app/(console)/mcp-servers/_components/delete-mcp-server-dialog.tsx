'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { isApiError } from '@/lib/api/client';
import { useOrg } from '@/lib/org-context';
import { useDeleteMcpServer } from '../hooks/use-delete-mcp-server';

/** Keys naming the server block the delete (409) unless forced; they keep the name, which binds late. */
export function DeleteMcpServerDialog({
  server,
  onClose,
}: {
  server: McpServerView | null;
  onClose: () => void;
}) {
  const { org } = useOrg();
  const remove = useDeleteMcpServer(org.id);
  const conflict = isApiError(remove.error) && remove.error.status === 409;
  const close = () => {
    remove.reset();
    onClose();
  };
  const keys = server?.usedBy ?? [];

  return (
    <ConfirmDialog
      open={server !== null}
      title="Delete MCP server"
      message={
        server && (
          <div className="form">
            <p>
              Are you sure you want to delete &apos;{server.name}&apos;? Gateways stop proxying /mcp/
              {server.name} at once. This action cannot be undone.
            </p>
            {keys.length > 0 && (
              <p className="alert">
                {keys.length === 1 ? '1 key names' : `${keys.length} keys name`} this server in its MCP
                policy: <strong>{keys.map((k) => k.name).join(', ')}</strong>. They keep the name, so a new
                server with the same name would fall under their policy again.
              </p>
            )}
            {conflict && (
              <p className="alert" role="alert">
                The control plane refused: keys still name this server. Choose “Delete anyway” to delete it.
              </p>
            )}
          </div>
        )
      }
      confirmLabel={conflict ? 'Delete anyway' : 'Delete'}
      busy={remove.isPending}
      error={conflict ? undefined : remove.error}
      onClose={close}
      onConfirm={() => {
        if (server)
          remove.mutate({ id: server.id, name: server.name, force: conflict }, { onSuccess: close });
      }}
    />
  );
}
