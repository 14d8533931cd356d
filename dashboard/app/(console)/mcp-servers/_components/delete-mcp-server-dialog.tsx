'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { DeleteDialog } from '@/components/ui/delete-dialog';
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

  return (
    <DeleteDialog
      target={server}
      title="Delete MCP server"
      remove={remove}
      variables={({ id, name }, force) => ({ id, name, force })}
      onClose={onClose}
      message={({ name, usedBy: keys }) => (
        <>
          <p>
            Are you sure you want to delete &apos;{name}&apos;? Gateways stop proxying /mcp/
            {name} at once. This action cannot be undone.
          </p>
          {keys.length > 0 && (
            <p className="alert">
              {keys.length === 1 ? '1 key names' : `${keys.length} keys name`} this server in its MCP policy:{' '}
              <strong>{keys.map((k) => k.name).join(', ')}</strong>. They keep the name, so a new server with
              the same name would fall under their policy again.
            </p>
          )}
        </>
      )}
      conflictMessage={() =>
        'The control plane refused: keys still name this server. Choose “Delete anyway” to delete it.'
      }
    />
  );
}
