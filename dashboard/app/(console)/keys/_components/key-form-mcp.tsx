'use client';

import { MCP_MODES, type McpPolicy } from '@portcullis/shared/api-keys';
import type { McpServerView } from '@portcullis/shared/mcp';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { SelectField } from '@/components/ui/select-field';
import { mcpServersQueryOptions } from '@/lib/api/mcp-servers';
import { useOrg } from '@/lib/org-context';
import { Checkbox, FieldGroup, TextAreaField } from './form-fields';
import type { KeyFormTabProps } from './key-form-dialog';
import styles from './keys.module.css';

type McpMode = (typeof MCP_MODES)[number];

const MODE_LABELS: Record<McpMode, string> = {
  allow_all: 'Allow all',
  deny_all: 'Deny all',
  allow_list: 'Allow list',
  deny_list: 'Deny list',
};

const MODE_HINTS: Record<McpMode, string> = {
  allow_all: 'Every MCP server of the organization, with all its tools.',
  deny_all: 'No MCP server.',
  allow_list:
    'Only the servers ticked below; for each, all its tools or only the ones you pick, and its resources and prompts.',
  deny_list:
    'Every server except the ones ticked below; for each, the whole server or only the tools, resources and prompts you list.',
};

export function KeyFormMcp({ values, set, error, errors }: KeyFormTabProps) {
  const { org } = useOrg();
  const servers = useQuery(mcpServersQueryOptions(org.id));
  const mcp = values.mcp;
  const setMcp = (patch: Partial<McpPolicy>) => set({ mcp: { ...mcp, ...patch } });

  return (
    <>
      <Checkbox
        label="MCP enabled for this key"
        checked={mcp.enabled}
        onChange={(enabled) => setMcp({ enabled })}
      />
      <SelectField
        label="Access mode"
        value={mcp.mode}
        disabled={!mcp.enabled}
        onChange={(event) => setMcp({ mode: event.target.value as McpMode })}
        hint={mcp.enabled ? MODE_HINTS[mcp.mode] : 'MCP is off: the key cannot reach any MCP server.'}
        error={error('mcp.mode', 'mcp.enabled')}
      >
        {MCP_MODES.map((mode) => (
          <option key={mode} value={mode}>
            {MODE_LABELS[mode]}
          </option>
        ))}
      </SelectField>
      {mcp.enabled && (
        <FieldGroup legend="Servers" error={error('mcp.servers', 'mcp.tools')}>
          {servers.isPending ? (
            <p className="muted">Loading MCP servers…</p>
          ) : servers.isError ? (
            <p className="alert alert-block" role="alert">
              <span>Could not load the MCP servers.</span>
              <button type="button" className="button button-small" onClick={() => void servers.refetch()}>
                Try again
              </button>
            </p>
          ) : (
            <ServerList servers={servers.data} mcp={mcp} setMcp={setMcp} errors={errors} />
          )}
        </FieldGroup>
      )}
    </>
  );
}

function ServerList({
  servers,
  mcp,
  setMcp,
  errors,
}: {
  servers: McpServerView[];
  mcp: McpPolicy;
  setMcp: (patch: Partial<McpPolicy>) => void;
  errors: (field: string) => string[];
}) {
  if (mcp.mode === 'deny_all') return <p className="muted">No MCP server is reachable with this key.</p>;
  if (servers.length === 0 && mcp.servers.length === 0) {
    return (
      <p className="muted">
        This organization has no MCP servers yet. An admin adds them on the MCP servers page; a policy here
        applies to them once they exist.
      </p>
    );
  }
  if (mcp.mode === 'allow_all') {
    return (
      <ul className={styles.plainList}>
        {servers.map((server) => (
          <li key={server.id}>
            <span className="mono">{server.name}</span>{' '}
            <span className="muted">
              all {server.tools.length} tool{server.tools.length === 1 ? '' : 's'}
            </span>
          </li>
        ))}
      </ul>
    );
  }
  // Names bind late: a policy may name a server that is not configured (yet); it stays editable.
  const known = servers.map((s) => s.name);
  const rows: { name: string; server: McpServerView | null }[] = [
    ...servers.map((server) => ({ name: server.name, server })),
    ...mcp.servers.filter((n) => !known.includes(n)).map((name) => ({ name, server: null })),
  ];
  const allow = mcp.mode === 'allow_list';
  return (
    <ul className={styles.serverList}>
      {rows.map(({ name, server }) => {
        const listed = mcp.servers.includes(name);
        const tools = Object.hasOwn(mcp.tools, name) ? mcp.tools[name] : undefined;
        const without = (lists: Record<string, string[]>) => {
          const next = { ...lists };
          delete next[name];
          return next;
        };
        const toggleServer = (checked: boolean) => {
          setMcp({
            servers: checked ? [...mcp.servers, name] : mcp.servers.filter((s) => s !== name),
            ...(checked
              ? {}
              : {
                  tools: without(mcp.tools),
                  resources: without(mcp.resources),
                  prompts: without(mcp.prompts),
                }),
          });
        };
        const setList = (list: 'tools' | 'resources' | 'prompts') => (next: string[] | undefined) =>
          setMcp({ [list]: next === undefined ? without(mcp[list]) : { ...mcp[list], [name]: next } });
        const setTools = setList('tools');
        return (
          <li key={name} className={styles.serverRow}>
            <Checkbox
              label={
                <>
                  {allow ? 'Allow' : 'Deny'} <span className="mono">{name}</span>
                  {server === null && <span className="muted"> (not configured)</span>}
                </>
              }
              checked={listed}
              onChange={toggleServer}
            />
            {listed && (
              <>
                <ToolScope
                  server={name}
                  catalog={server?.tools.map((t) => t.name) ?? []}
                  allow={allow}
                  tools={tools}
                  onChange={setTools}
                />
                <ListScope
                  server={name}
                  kind="resources"
                  allow={allow}
                  toolsListed={tools !== undefined}
                  lines={Object.hasOwn(mcp.resources, name) ? mcp.resources[name] : undefined}
                  onChange={setList('resources')}
                  errors={errors(`mcp.resources.${name}`)}
                />
                <ListScope
                  server={name}
                  kind="prompts"
                  allow={allow}
                  toolsListed={tools !== undefined}
                  lines={Object.hasOwn(mcp.prompts, name) ? mcp.prompts[name] : undefined}
                  onChange={setList('prompts')}
                  errors={errors(`mcp.prompts.${name}`)}
                />
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** All tools / the whole server, or a searchable checklist of the server's tools. */
function ToolScope({
  server,
  catalog,
  allow,
  tools,
  onChange,
}: {
  server: string;
  catalog: string[];
  allow: boolean;
  tools: string[] | undefined;
  onChange: (tools: string[] | undefined) => void;
}) {
  const radioName = useId();
  const searchId = useId();
  const [search, setSearch] = useState('');
  const picked = tools ?? [];
  const names = [...catalog, ...picked.filter((t) => !catalog.includes(t))];
  const shown = names.filter((t) => t.toLowerCase().includes(search.trim().toLowerCase()));

  return (
    <div className={styles.toolScope}>
      <div className={styles.radioRow} role="radiogroup" aria-label={`Tools of ${server}`}>
        <label className="checkbox">
          <input
            type="radio"
            name={radioName}
            checked={tools === undefined}
            onChange={() => onChange(undefined)}
          />
          {allow ? 'All tools' : 'The whole server'}
        </label>
        <label className="checkbox">
          <input type="radio" name={radioName} checked={tools !== undefined} onChange={() => onChange([])} />
          Only these tools
        </label>
      </div>
      {tools !== undefined && (
        <div className={styles.toolPicker}>
          {names.length === 0 ? (
            <p className="muted">
              This server's tool catalog is empty. Refresh its tools on the MCP servers page to pick them
              here.
            </p>
          ) : (
            <>
              <div className="field">
                <label htmlFor={searchId}>Search tools of {server}</label>
                <input
                  id={searchId}
                  type="search"
                  value={search}
                  onChange={(event) => setSearch(event.target.value)}
                />
              </div>
              <p className="muted" aria-live="polite">
                {picked.length} of {names.length} selected
                {allow ? ' (allowed)' : ' (denied)'}
              </p>
              <div className={styles.toolList}>
                {shown.length === 0 ? (
                  <p className="muted">No tool matches “{search}”.</p>
                ) : (
                  shown.map((tool) => (
                    <Checkbox
                      key={tool}
                      label={<span className="mono">{tool}</span>}
                      checked={picked.includes(tool)}
                      onChange={(checked) =>
                        onChange(checked ? [...picked, tool] : picked.filter((t) => t !== tool))
                      }
                    />
                  ))
                )}
              </div>
            </>
          )}
        </div>
      )}
    </div>
  );
}

const LIST_TEXT = {
  resources: {
    what: 'resources',
    label: 'Resource URI patterns',
    hint: 'One per line: an exact URI (file:///docs/readme.md) or a prefix ending in * (file:///docs/*).',
  },
  prompts: { what: 'prompts', label: 'Prompt names', hint: 'One per line.' },
} as const;

/**
 * A server's resource patterns or prompt names: absent (as the tools allow, or none denied) or a list,
 * edited one per line. Lines are kept as typed; blank ones are dropped when the key is saved.
 */
function ListScope({
  server,
  kind,
  allow,
  toolsListed,
  lines,
  onChange,
  errors,
}: {
  server: string;
  kind: 'resources' | 'prompts';
  allow: boolean;
  toolsListed: boolean;
  lines: string[] | undefined;
  onChange: (lines: string[] | undefined) => void;
  errors: string[];
}) {
  const radioName = useId();
  const text = LIST_TEXT[kind];
  const absent = allow
    ? toolsListed
      ? `No ${text.what} (as the tools: only some are allowed)`
      : `All ${text.what} (as the tools)`
    : `No ${text.what} denied`;
  return (
    <div className={styles.toolScope}>
      <div className={styles.radioRow} role="radiogroup" aria-label={`${capitalize(text.what)} of ${server}`}>
        <label className="checkbox">
          <input
            type="radio"
            name={radioName}
            checked={lines === undefined}
            onChange={() => onChange(undefined)}
          />
          {absent}
        </label>
        <label className="checkbox">
          <input type="radio" name={radioName} checked={lines !== undefined} onChange={() => onChange([])} />
          {allow ? `Only these ${text.what}` : `Deny these ${text.what}`}
        </label>
      </div>
      {lines !== undefined && (
        <TextAreaField
          label={`${text.label} of ${server}`}
          hint={text.hint}
          rows={3}
          value={lines.join('\n')}
          onChange={(event) => onChange(event.target.value.split('\n'))}
          error={errors.length > 0 ? errors.join(' ') : undefined}
        />
      )}
    </div>
  );
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
