'use client';

import type { ProviderCredentialView } from '@portcullis/shared/providers';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { RequireAdmin } from '@/components/ui/require-admin';
import { TrashIcon } from '@/components/ui/trash-icon';
import { PROVIDER_LABELS, providerCredentialsQueryOptions } from '@/lib/api/providers';
import { formatDate, formatDateTime } from '@/lib/format';
import { useOrg } from '@/lib/org-context';
import { configSummary } from './config-fields';
import { CredentialFormModal } from './credential-form-modal';
import { DeleteCredentialDialog } from './delete-credential-dialog';
import styles from './providers.module.css';

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; credential: ProviderCredentialView }
  | { kind: 'delete'; credential: ProviderCredentialView }
  | null;

export function ProvidersPage() {
  return (
    <RequireAdmin>
      <ProviderCredentials />
    </RequireAdmin>
  );
}

function ProviderCredentials() {
  const { org } = useOrg();
  const query = useQuery(providerCredentialsQueryOptions(org.id));
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);

  const addButton = (
    <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'create' })}>
      Add credential
    </button>
  );

  return (
    <div className="page-stack">
      <PageHeader
        title="Provider credentials"
        description="The upstream API keys gateways call providers with. Secrets are encrypted and never shown again after saving."
        actions={addButton}
      />
      <QueryState query={query}>
        {(credentials) =>
          credentials.length === 0 ? (
            <EmptyState title="No provider credentials yet" action={addButton}>
              Add the API key of OpenAI, Anthropic, Azure OpenAI, Gemini or any OpenAI-compatible server, then
              add models that use it.
            </EmptyState>
          ) : (
            <div className={`table-wrap ${styles.tableWrap}`}>
              <table className="table">
                <caption className="visually-hidden">Provider credentials</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Secret</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Used by</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {credentials.map((credential) => (
                    <tr key={credential.id}>
                      <td className={styles.name}>{credential.name}</td>
                      <td>{PROVIDER_LABELS[credential.provider] ?? credential.provider}</td>
                      <td>
                        <code className="mono">{credential.secretPreview}</code>
                      </td>
                      <td className={styles.config} title={configSummary(credential.config)}>
                        {configSummary(credential.config)}
                      </td>
                      <td>
                        {credential.usedBy.length === 0 ? (
                          <span className="muted">No models</span>
                        ) : (
                          <ul className={styles.usedBy}>
                            {credential.usedBy.map((model) => (
                              <li key={model.id}>
                                <Link href={`/models?search=${encodeURIComponent(model.slug)}`}>
                                  {model.slug}
                                </Link>
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                      <td>
                        <time dateTime={credential.createdAt} title={formatDateTime(credential.createdAt)}>
                          {formatDate(credential.createdAt)}
                        </time>
                      </td>
                      <td>
                        <div className={styles.actions}>
                          <button
                            type="button"
                            className="button button-small"
                            onClick={() => setDialog({ kind: 'edit', credential })}
                            aria-label={`Edit ${credential.name}`}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            className="icon-button icon-button-danger"
                            onClick={() => setDialog({ kind: 'delete', credential })}
                            aria-label={`Delete ${credential.name}`}
                            title="Delete"
                          >
                            <TrashIcon />
                          </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
      <CredentialFormModal
        open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
        credential={dialog?.kind === 'edit' ? dialog.credential : null}
        onClose={close}
      />
      <DeleteCredentialDialog
        credential={dialog?.kind === 'delete' ? dialog.credential : null}
        onClose={close}
      />
    </div>
  );
}
