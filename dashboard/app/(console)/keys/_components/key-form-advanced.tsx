'use client';

import { useQuery } from '@tanstack/react-query';
import { modelsQueryOptions } from '@/lib/api/models';
import { useOrg } from '@/lib/org-context';
import { Checkbox, FieldGroup, TextAreaField } from './form-fields';
import type { KeyFormTabProps } from './key-form-dialog';
import styles from './keys.module.css';

export function KeyFormAdvanced({ values, set, error, errors, editing }: KeyFormTabProps) {
  const { org, isAdmin } = useOrg();
  const models = useQuery(modelsQueryOptions(org.id));
  const orgSlugs = (models.data ?? []).map((m) => m.slug);
  // Slugs the key already names that the catalog does not have (yet) stay visible and can be unticked.
  const slugs = [...orgSlugs, ...values.models.filter((s) => !orgSlugs.includes(s))];

  return (
    <>
      <FieldGroup
        legend="Allowed models"
        hint="None ticked and none typed: every model the owner may use. Otherwise only these."
        error={error('allowedModels')}
      >
        {models.isPending ? (
          <p className="muted">Loading models…</p>
        ) : models.isError ? (
          <p className="alert alert-block" role="alert">
            <span>Could not load the organization's models.</span>
            <button type="button" className="button button-small" onClick={() => void models.refetch()}>
              Try again
            </button>
          </p>
        ) : slugs.length === 0 ? (
          <p className="muted">This organization has no models yet; type slugs below.</p>
        ) : (
          <div className={styles.checkGrid}>
            {slugs.map((slug) => (
              <Checkbox
                key={slug}
                label={
                  <span className="mono">
                    {slug}
                    {!orgSlugs.includes(slug) && <span className="muted"> (not in the catalog)</span>}
                  </span>
                }
                checked={values.models.includes(slug)}
                onChange={(checked) =>
                  set({
                    models: checked ? [...values.models, slug] : values.models.filter((m) => m !== slug),
                  })
                }
              />
            ))}
          </div>
        )}
        <TextAreaField
          label="Other models"
          rows={2}
          placeholder="one slug per line, e.g. gpt-4o-mini"
          value={values.otherModels}
          onChange={(event) => set({ otherModels: event.target.value })}
        />
      </FieldGroup>
      <TextAreaField
        label="IP allowlist"
        rows={4}
        placeholder={'10.0.0.0/8\n203.0.113.7\n2001:db8::/32'}
        hint="One IPv4 or IPv6 address or CIDR per line. Empty: any address."
        value={values.ipAllowlist}
        onChange={(event) => set({ ipAllowlist: event.target.value })}
        error={errors('ipAllowlist').join(' · ') || undefined}
      />
      <FieldGroup
        legend="Calls without a model"
        hint={
          isAdmin || editing?.allowCallsWithoutModel
            ? 'Pass-through calls that name no model (files, batches, fine-tuning, stored responses, deletes) reach the provider beyond the key’s model list.'
            : 'Pass-through calls that name no model (files, batches, fine-tuning…): only an admin can turn this on.'
        }
        error={error('allowCallsWithoutModel')}
      >
        <Checkbox
          label="Allow calls without a model"
          checked={values.allowCallsWithoutModel}
          disabled={!isAdmin && !editing?.allowCallsWithoutModel}
          onChange={(checked) => set({ allowCallsWithoutModel: checked })}
        />
      </FieldGroup>
      <TextAreaField
        label="Metadata (JSON)"
        rows={5}
        className="mono"
        placeholder={'{ "team": "backend" }'}
        hint="A JSON object; its fields are attached to every request's usage record."
        value={values.metadata}
        onChange={(event) => set({ metadata: event.target.value })}
        error={error('metadata')}
      />
    </>
  );
}
