'use client';

import type { ProviderCredentialView } from '@portcullis/shared/providers';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { EmptyState } from '@/components/ui/empty-state';
import { PageHeader } from '@/components/ui/page-header';
import { RequireAdmin } from '@/components/ui/require-admin';
import { type ListDialog, ListState, ResourceTable } from '@/components/ui/resource-table';
import { EditDeleteActions } from '@/components/ui/row-actions';
import { Timestamp } from '@/components/ui/timestamp';
import { PROVIDER_LABELS, providerCredentialsQueryOptions } from '@/lib/api/providers';
import { useOrg } from '@/lib/org-context';
import { configSummary } from './config-fields';
import { CredentialFormModal } from './credential-form-modal';
import { DeleteCredentialDialog } from './delete-credential-dialog';
import styles from './providers.module.css';

type Dialog = ListDialog<ProviderCredentialView>;

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
      <ListState
        query={query}
        empty={
          <EmptyState title="No provider credentials yet" action={addButton}>
            Add the API key of OpenAI, Anthropic, Azure OpenAI, Gemini or any OpenAI-compatible server, then
            add models that use it.
          </EmptyState>
        }
      >
        {(credentials) => (
          <ResourceTable
            caption="Provider credentials"
            columns={['Name', 'Provider', 'Secret', 'Endpoint', 'Used by', 'Created']}
            actions
          >
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
                          <Link href={`/models?search=${encodeURIComponent(model.slug)}`}>{model.slug}</Link>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <Timestamp value={credential.createdAt} />
                </td>
                <td>
                  <EditDeleteActions
                    name={credential.name}
                    onEdit={() => setDialog({ kind: 'edit', item: credential })}
                    onDelete={() => setDialog({ kind: 'delete', item: credential })}
                  />
                </td>
              </tr>
            ))}
          </ResourceTable>
        )}
      </ListState>
      <CredentialFormModal
        open={dialog?.kind === 'create' || dialog?.kind === 'edit'}
        credential={dialog?.kind === 'edit' ? dialog.item : null}
        onClose={close}
      />
      <DeleteCredentialDialog credential={dialog?.kind === 'delete' ? dialog.item : null} onClose={close} />
    </div>
  );
}
