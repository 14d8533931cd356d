'use client';

import type { McpServerView } from '@portcullis/shared/mcp';
import { type FormEvent, useId, useRef, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModal } from '@/components/ui/form-modal';
import { TextField } from '@/components/ui/text-field';
import { fieldError } from '@/lib/api/errors';
import { useOrg } from '@/lib/org-context';
import { useCreateOrUpdate } from '@/lib/use-create-or-update';
import { useCreateMcpServer } from '../hooks/use-create-mcp-server';
import { useUpdateMcpServer } from '../hooks/use-update-mcp-server';
import styles from './mcp-servers.module.css';

/** Create (server null) or edit an MCP server. */
export function McpServerFormModal({
  open,
  server,
  onClose,
  onCreated,
}: {
  open: boolean;
  server: McpServerView | null;
  onClose: () => void;
  /** After a create: the page opens the new server's tools, to refresh them. */
  onCreated: (server: McpServerView) => void;
}) {
  const formId = useId();
  const { org } = useOrg();
  const create = useCreateMcpServer(org.id);
  const update = useUpdateMcpServer(org.id);
  const save = useCreateOrUpdate({ item: server, create, update, onClose, onCreated });

  return (
    <FormModal
      open={open}
      title={server ? `Edit ${server.name}` : 'Add MCP server'}
      onClose={save.close}
      size="wide"
      formId={formId}
      submitLabel={server ? 'Save changes' : 'Add MCP server'}
      busy={save.busy}
    >
      <McpServerForm formId={formId} server={server} error={save.error} onSubmit={save.submit} />
    </FormModal>
  );
}

interface HeaderRow {
  key: number;
  name: string;
  value: string;
  /** The header's name as stored; its value is write-only, so the row starts blank. */
  stored: string | null;
}

function McpServerForm({
  formId,
  server,
  error,
  onSubmit,
}: {
  formId: string;
  server: McpServerView | null;
  error: unknown;
  onSubmit: (body: Record<string, unknown>) => void;
}) {
  const nextKey = useRef(0);
  const row = (name: string, stored: string | null): HeaderRow => ({
    key: nextKey.current++,
    name,
    value: '',
    stored,
  });
  const [name, setName] = useState(server?.name ?? '');
  const [url, setUrl] = useState(server?.url ?? '');
  const [description, setDescription] = useState(server?.description ?? '');
  const [enabled, setEnabled] = useState(server?.enabled ?? true);
  const [rows, setRows] = useState<HeaderRow[]>(() => (server?.headerNames ?? []).map((n) => row(n, n)));
  const [rowErrors, setRowErrors] = useState<Record<number, string>>({});
  const descriptionId = useId();

  const setRow = (key: number, patch: Partial<HeaderRow>) =>
    setRows((all) => all.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  /** `undefined`: keep the stored headers; otherwise the complete new set (the API replaces them all). */
  const headersBody = (): { headers?: Record<string, string>; errors: Record<number, string> } => {
    const used = rows.filter((r) => r.name.trim() !== '' || r.value !== '' || r.stored !== null);
    const storedNames = server?.headerNames ?? [];
    const untouched =
      server !== null &&
      used.length === storedNames.length &&
      used.every((r, i) => r.stored === storedNames[i] && r.name === r.stored && r.value === '');
    if (untouched) return { errors: {} };
    const errors: Record<number, string> = {};
    const headers: Record<string, string> = {};
    for (const r of used) {
      if (r.name.trim() === '') errors[r.key] = 'Enter the header name.';
      else if (r.value === '')
        errors[r.key] =
          r.stored !== null
            ? 'Enter the value again: changing the headers replaces all of them, and stored values are never shown.'
            : 'Enter the header value.';
      else headers[r.name.trim()] = r.value;
    }
    return { headers, errors };
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { headers, errors } = headersBody();
    setRowErrors(errors);
    if (Object.keys(errors).length > 0) return;
    const trimmedDescription = description.trim();
    if (!server) {
      onSubmit({
        name: name.trim(),
        url: url.trim(),
        ...(trimmedDescription ? { description: trimmedDescription } : {}),
        ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
        enabled,
      });
      return;
    }
    const body: Record<string, unknown> = {};
    if (name.trim() !== server.name) body.name = name.trim();
    if (url.trim() !== server.url) body.url = url.trim();
    if (trimmedDescription !== (server.description ?? ''))
      body.description = trimmedDescription === '' ? null : trimmedDescription;
    if (enabled !== server.enabled) body.enabled = enabled;
    if (headers) body.headers = headers;
    onSubmit(body);
  };

  const headerFields = rows.map((r) => `headers.${r.name.trim()}`);

  return (
    <form id={formId} className="form" onSubmit={submit} noValidate>
      <FormAlert
        error={error}
        shownFields={['name', 'url', 'description', 'enabled', 'headers', ...headerFields]}
      />
      <div className="field-row">
        <div className="field">
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={fieldError(error, 'name')}
            placeholder="github"
            autoComplete="off"
            required
          />
          <p className="field-hint">
            Lowercase letters, digits, - and _. Clients reach it at{' '}
            <code>/mcp/{name.trim() || '<name>'}</code>.
          </p>
        </div>
        <div className="field">
          <TextField
            label="URL"
            name="url"
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            error={fieldError(error, 'url')}
            placeholder="https://mcp.example.com/mcp"
            autoComplete="off"
            required
          />
          <p className="field-hint">
            The server’s streamable HTTP endpoint. Put secrets in headers, not in the URL.
          </p>
        </div>
      </div>
      <div className="field">
        <label htmlFor={descriptionId}>Description (optional)</label>
        <textarea
          id={descriptionId}
          name="description"
          value={description}
          rows={2}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={fieldError(error, 'description') ? true : undefined}
        />
        {fieldError(error, 'description') && (
          <p className="field-error">{fieldError(error, 'description')}</p>
        )}
      </div>
      <fieldset className={styles.headers}>
        <legend>Headers</legend>
        <p className="field-hint">
          Sent to the server on every call (for example <code>Authorization: Bearer …</code>). Values are
          stored encrypted and never shown again
          {server && (server.headerNames ?? []).length > 0 ? '; leave a value blank to keep it' : ''}.
        </p>
        {fieldError(error, 'headers') && !rows.some((r) => fieldError(error, `headers.${r.name.trim()}`)) && (
          <p className="field-error">{fieldError(error, 'headers')}</p>
        )}
        {rows.map((r, i) => {
          const message =
            rowErrors[r.key] ?? (r.name.trim() ? fieldError(error, `headers.${r.name.trim()}`) : undefined);
          return (
            <div key={r.key} className={styles.headerRow}>
              <input
                aria-label={`Header ${i + 1} name`}
                value={r.name}
                placeholder="Authorization"
                autoComplete="off"
                aria-invalid={message ? true : undefined}
                onChange={(e) => setRow(r.key, { name: e.target.value })}
              />
              <input
                aria-label={`Header ${i + 1} value`}
                type="password"
                value={r.value}
                placeholder={r.stored !== null ? 'Leave blank to keep' : 'Value'}
                autoComplete="new-password"
                aria-invalid={message ? true : undefined}
                onChange={(e) => setRow(r.key, { value: e.target.value })}
              />
              <button
                type="button"
                className="icon-button icon-button-danger"
                aria-label={`Remove header ${i + 1}`}
                title="Remove"
                onClick={() => setRows((all) => all.filter((x) => x.key !== r.key))}
              >
                <span aria-hidden="true">×</span>
              </button>
              {message && <p className={`field-error ${styles.headerRowError}`}>{message}</p>}
            </div>
          );
        })}
        <div>
          <button
            type="button"
            className="button button-small"
            onClick={() => setRows((all) => [...all, row('', null)])}
          >
            Add header
          </button>
        </div>
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled (gateways proxy it)
      </label>
    </form>
  );
}
