'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { useEffect, useId, useState } from 'react';
import { Modal } from '@/components/ui/modal';
import { errorMessage } from '@/lib/api/errors';
import { useOrg } from '@/lib/org-context';
import { useRefreshMcpTools } from '../hooks/use-refresh-mcp-tools';
import styles from './mcp-servers.module.css';

/** One server's tool catalog; admins ask the server for a fresh list (initialize + tools/list). */
export function McpToolsDialog({ server, onClose }: { server: McpServerView | null; onClose: () => void }) {
  const { org, isAdmin } = useOrg();
  const refresh = useRefreshMcpTools(org.id);
  const [filter, setFilter] = useState('');
  const filterId = useId();
  const serverId = server?.id;

  // A new server in the dialog starts clean: no old error, no old filter.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server changes
  useEffect(() => {
    refresh.reset();
    setFilter('');
  }, [serverId]);

  const tools = server?.tools ?? [];
  const q = filter.trim().toLowerCase();
  const shown = q
    ? tools.filter((t) => t.name.toLowerCase().includes(q) || t.description?.toLowerCase().includes(q))
    : tools;

  return (
    <Modal
      open={server !== null}
      title={server ? `Tools of ${server.name}` : 'Tools'}
      onClose={onClose}
      size="wide"
      footer={
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      }
    >
      {server && (
        <>
          <div className={styles.toolsHeader}>
            <p className="muted">
              {tools.length === 0
                ? 'No tools known yet.'
                : `${tools.length} ${tools.length === 1 ? 'tool' : 'tools'}, as the server last listed them.`}
            </p>
            {isAdmin && (
              <button
                type="button"
                className="button"
                onClick={() => refresh.mutate(server.id)}
                disabled={refresh.isPending}
              >
                {refresh.isPending && <span className="spinner" aria-hidden="true" />}
                Refresh tools
              </button>
            )}
          </div>
          {refresh.isError && (
            <p className="alert" role="alert">
              {errorMessage(refresh.error)}
            </p>
          )}
          {tools.length === 0 ? (
            <p className="muted">
              {isAdmin
                ? 'Refresh tools to ask the server for its list; keys can then allow or deny each tool.'
                : 'An admin can refresh the tools to read them from the server.'}
            </p>
          ) : (
            <>
              {tools.length > 8 && (
                <div className="field">
                  <label htmlFor={filterId}>Filter tools</label>
                  <input
                    id={filterId}
                    type="search"
                    value={filter}
                    onChange={(e) => setFilter(e.target.value)}
                  />
                </div>
              )}
              <ul className={styles.toolList} aria-label={`Tools of ${server.name}`}>
                {shown.map((tool) => (
                  <li key={tool.name}>
                    <code className="mono">{tool.name}</code>
                    {tool.description && <span className="muted">{tool.description}</span>}
                  </li>
                ))}
                {shown.length === 0 && (
                  <li>
                    <span className="muted">No tool matches “{filter}”.</span>
                  </li>
                )}
              </ul>
            </>
          )}
        </>
      )}
    </Modal>
  );
}
