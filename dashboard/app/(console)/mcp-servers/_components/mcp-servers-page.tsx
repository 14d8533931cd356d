'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { type ListDialog, ListState, ResourceTable } from '@/components/ui/resource-table';
import { EditDeleteActions } from '@/components/ui/row-actions';
import { StatusDot } from '@/components/ui/status-dot';
import { Timestamp } from '@/components/ui/timestamp';
import { mcpServersQueryOptions } from '@/lib/api/mcp-servers';
import { useOrg } from '@/lib/org-context';
import { DeleteMcpServerDialog } from './delete-mcp-server-dialog';
import { McpServerFormModal } from './mcp-server-form-modal';
import styles from './mcp-servers.module.css';
import { McpToolsDialog } from './mcp-tools-dialog';

type Dialog = ListDialog<McpServerView, { kind: 'tools'; serverId: string }>;

export function McpServersPage() {
  const { org, isAdmin } = useOrg();
  const query = useQuery(mcpServersQueryOptions(org.id));
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);

  const addButton = isAdmin ? (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
      Add MCP server
    </button>
  ) : null;

  return (
    <div className="page-stack">
      <PageHeader
        title="MCP servers"
        description={
          isAdmin
            ? 'Model Context Protocol servers that gateways proxy at /mcp/<name>, with their tool catalogs. Keys choose which servers and tools they may use.'
            : 'The MCP servers of your organization and their tools: choose among them in your keys’ MCP settings. Admins manage this list.'
        }
        actions={addButton}
      />
      <ListState
        query={query}
        empty={
          isAdmin ? (
            <EmptyState title="No MCP servers yet" action={addButton}>
              Add an MCP server (streamable HTTP) with the headers it needs, then refresh its tools so keys
              can allow or deny them.
            </EmptyState>
          ) : (
            <EmptyState title="No MCP servers yet">
              Ask an admin of {org.name} to add the MCP servers your team needs.
            </EmptyState>
          )
        }
      >
        {(servers) => (
          <ResourceTable
            caption="MCP servers"
            // Where a server is stays with admins: the API gives members no URL.
            columns={
              isAdmin
                ? ['Name', 'URL', 'Status', 'Tools', 'Used by', 'Updated']
                : ['Name', 'Status', 'Tools', 'Used by', 'Updated']
            }
            actions={isAdmin}
          >
            {servers.map((server) => (
              <tr key={server.id}>
                <td>
                  <code className="mono">{server.name}</code>
                  {server.description && (
                    <p className={`muted ${styles.description}`}>{server.description}</p>
                  )}
                </td>
                {isAdmin && (
                  <td className={styles.url} title={server.url}>
                    {server.url}
                  </td>
                )}
                <td>
                  <StatusDot
                    status={server.enabled ? 'active' : 'inactive'}
                    label={server.enabled ? 'Enabled' : 'Disabled'}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    className="button-link"
                    aria-label={`Tools of ${server.name}: ${server.tools.length}`}
                    onClick={() => setDialog({ kind: 'tools', serverId: server.id })}
                  >
                    {server.tools.length} {server.tools.length === 1 ? 'tool' : 'tools'}
                  </button>
                </td>
                <td>
                  {server.usedBy.length === 0 ? (
                    <span className="muted">No keys</span>
                  ) : isAdmin ? (
                    <span className={styles.usedBy} title={server.usedBy.map((k) => k.name).join(', ')}>
                      {server.usedBy.map((k) => k.name).join(', ')}
                    </span>
                  ) : (
                    `${server.usedBy.length} ${server.usedBy.length === 1 ? 'key' : 'keys'}`
                  )}
                </td>
                <td>
                  <Timestamp value={server.updatedAt} relative />
                </td>
                {isAdmin && (
                  <td>
                    <EditDeleteActions
                      name={server.name}
                      onEdit={() => setDialog({ kind: 'edit', item: server })}
                      onDelete={() => setDialog({ kind: 'delete', item: server })}
                    />
                  </td>
                )}
              </tr>
            ))}
          </ResourceTable>
        )}
      </ListState>
      <McpToolsDialog
        server={dialog?.kind === 'tools' ? (query.data?.find((s) => s.id === dialog.serverId) ?? null) : null}
        onClose={close}
      />
      {isAdmin && (
        <>
          <McpServerFormModal
            open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
            server={dialog?.kind === 'edit' ? dialog.item : null}
            onClose={close}
            onCreated={(server) => setDialog({ kind: 'tools', serverId: server.id })}
          />
          <DeleteMcpServerDialog server={dialog?.kind === 'delete' ? dialog.item : null} onClose={close} />
        </>
      )}
    </div>
  );
}
