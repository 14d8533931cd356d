'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { StatusDot } from '@/components/ui/status-dot';
import { TrashIcon } from '@/components/ui/trash-icon';
import { mcpServersQueryOptions } from '@/lib/api/mcp-servers';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { DeleteMcpServerDialog } from './delete-mcp-server-dialog';
import { McpServerFormModal } from './mcp-server-form-modal';
import styles from './mcp-servers.module.css';
import { McpToolsDialog } from './mcp-tools-dialog';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; server: McpServerView }
  | { kind: 'delete'; server: McpServerView }
  | { kind: 'tools'; serverId: string }
  | null;

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
      <QueryState query={query}>
        {(servers) =>
          servers.length === 0 ? (
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
          ) : (
            <div className={`table-wrap ${styles.tableWrap}`}>
              <table className="table">
                <caption className="visually-hidden">MCP servers</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">URL</th>
                    <th scope="col">Status</th>
                    <th scope="col">Tools</th>
                    <th scope="col">Used by</th>
                    <th scope="col">Updated</th>
                    {isAdmin && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {servers.map((server) => (
                    <tr key={server.id}>
                      <td>
                        <code className="mono">{server.name}</code>
                        {server.description && (
                          <p className={`muted ${styles.description}`}>{server.description}</p>
                        )}
                      </td>
                      <td className={styles.url} title={server.url}>
                        {server.url}
                      </td>
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
                        <time dateTime={server.updatedAt} title={formatDateTime(server.updatedAt)}>
                          {formatRelative(server.updatedAt)}
                        </time>
                      </td>
                      {isAdmin && (
                        <td>
                          <div className={styles.actions}>
                            <button
                              type="button"
                              className="button button-small"
                              aria-label={`Edit ${server.name}`}
                              onClick={() => setDialog({ kind: 'edit', server })}
                            >
                              Edit
                            </button>
                            <button
                              type="button"
                              className="icon-button icon-button-danger"
                              aria-label={`Delete ${server.name}`}
                              title="Delete"
                              onClick={() => setDialog({ kind: 'delete', server })}
                            >
                              <TrashIcon />
                            </button>
                          </div>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <McpToolsDialog
        server={dialog?.kind === 'tools' ? (query.data?.find((s) => s.id === dialog.serverId) ?? null) : null}
        onClose={close}
      />
      {isAdmin && (
        <>
          <McpServerFormModal
            open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
            server={dialog?.kind === 'edit' ? dialog.server : null}
            onClose={close}
            onCreated={(server) => setDialog({ kind: 'tools', serverId: server.id })}
          />
          <DeleteMcpServerDialog server={dialog?.kind === 'delete' ? dialog.server : null} onClose={close} />
        </>
      )}
    </div>
  );
}
