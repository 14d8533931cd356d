'use client';

import type { ApiKey } from '@portcullis/shared/api-keys';
import { type FormEvent, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModalButtons } from '@/components/ui/form-parts';
import { Modal } from '@/components/ui/modal';
import { type Tab, Tabs } from '@/components/ui/tabs';
import { isApiError } from '@/lib/api/client';
import {
  buildKeyBody,
  emptyKeyForm,
  fieldTab,
  formFromKey,
  ipAllowlistIssues,
  issueFor,
  type KeyBody,
  type KeyFormTab,
  type KeyFormValues,
  parseMetadata,
  SHOWN_FIELDS,
} from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';
import { useCreateKey } from '../hooks/use-create-key';
import { useUpdateKey } from '../hooks/use-update-key';
import { KeyFormAdvanced } from './key-form-advanced';
import { KeyFormBasic } from './key-form-basic';
import { KeyFormMcp } from './key-form-mcp';
import styles from './keys.module.css';

const TAB_ORDER: readonly KeyFormTab[] = ['basic', 'advanced', 'mcp'];
const TAB_LABELS: Record<KeyFormTab, string> = { basic: 'Basic', advanced: 'Advanced', mcp: 'MCP' };

const capitalize = (message: string | undefined): string | undefined =>
  message ? message.charAt(0).toUpperCase() + message.slice(1) : message;

/** The props every tab gets: the values, a setter and the message for a field. */
export interface KeyFormTabProps {
  values: KeyFormValues;
  set: (patch: Partial<KeyFormValues>) => void;
  error: (...fields: string[]) => string | undefined;
  /** Every message under a field, for lists checked line by line. */
  errors: (field: string) => string[];
  editing: ApiKey | undefined;
}

/** Create (no `editing`) or edit a key: the same form, prefilled for an edit. */
export function KeyFormDialog({
  open,
  editing,
  onClose,
  onCreated,
}: {
  open: boolean;
  editing?: ApiKey | undefined;
  onClose: () => void;
  onCreated?: (key: ApiKey, secret: string) => void;
}) {
  return (
    <Modal
      open={open}
      title={editing ? `Edit “${editing.name}”` : 'Create API key'}
      onClose={onClose}
      size="wide"
    >
      {open && <KeyForm editing={editing} onClose={onClose} onCreated={onCreated} />}
    </Modal>
  );
}

function KeyForm({
  editing,
  onClose,
  onCreated,
}: {
  editing: ApiKey | undefined;
  onClose: () => void;
  onCreated: ((key: ApiKey, secret: string) => void) | undefined;
}) {
  const { isAdmin } = useOrg();
  const [values, setValues] = useState<KeyFormValues>(() =>
    editing ? formFromKey(editing) : emptyKeyForm(),
  );
  const [tab, setTab] = useState<KeyFormTab>('basic');
  const [submitted, setSubmitted] = useState(false);
  const create = useCreateKey((key, secret) => onCreated?.(key, secret));
  const update = useUpdateKey();
  const mutation = editing ? update : create;

  const set = (patch: Partial<KeyFormValues>) => setValues((v) => ({ ...v, ...patch }));
  const ctx = { canChooseOwner: isAdmin };
  const built = editing ? buildKeyBody(values, { ...ctx, current: editing }) : buildKeyBody(values, ctx);

  // Before the first submit only the fields checked as you type speak; after it, every field does.
  const metadata = parseMetadata(values.metadata);
  const clientIssues = submitted
    ? built.ok
      ? []
      : built.issues
    : [
        ...ipAllowlistIssues(values.ipAllowlist),
        ...(metadata.ok ? [] : [{ field: 'metadata', message: metadata.error }]),
      ];
  const serverIssues = isApiError(mutation.error) ? (mutation.error.details ?? []) : [];
  const issues = [...clientIssues, ...serverIssues];
  // The API's messages read "is not a member…"; under a field they start a sentence.
  const error = (...fields: string[]) => capitalize(issueFor(issues, ...fields));
  const errors = (field: string) => [
    ...new Set(
      issues
        .filter((i) => i.field === field || i.field.startsWith(`${field}.`))
        .map((i) => capitalize(i.message) ?? i.message),
    ),
  ];

  const tabs: Tab[] = TAB_ORDER.map((id) => ({
    id,
    label: TAB_LABELS[id],
    invalid: issues.some((issue) => fieldTab(issue.field) === id),
  }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!built.ok) {
      const first = TAB_ORDER.find((id) => built.issues.some((issue) => fieldTab(issue.field) === id));
      if (first && !built.issues.some((issue) => fieldTab(issue.field) === tab)) setTab(first);
      return;
    }
    const onError = (err: unknown) => {
      if (!isApiError(err) || !err.details) return;
      const first = TAB_ORDER.find((id) => err.details?.some((issue) => fieldTab(issue.field) === id));
      if (first && !err.details.some((issue) => fieldTab(issue.field) === tab)) setTab(first);
    };
    if (editing) {
      update.mutate({ id: editing.id, body: built.body }, { onSuccess: onClose, onError });
    } else {
      // Built without `current`, so it is a create body.
      create.mutate(built.body as KeyBody, { onError });
    }
  };

  const tabProps: KeyFormTabProps = { values, set, error, errors, editing };
  return (
    <form noValidate onSubmit={onSubmit} className={styles.keyForm}>
      {!isAdmin && editing?.adminRestrictions && (
        <p className="field-hint">
          An admin set some of this key’s restrictions: you can tighten them, not loosen them.
        </p>
      )}
      <Tabs tabs={tabs} selected={tab} onSelect={(id) => setTab(id as KeyFormTab)} label="Key settings">
        {(id) =>
          id === 'basic' ? (
            <KeyFormBasic {...tabProps} />
          ) : id === 'advanced' ? (
            <KeyFormAdvanced {...tabProps} />
          ) : (
            <KeyFormMcp {...tabProps} />
          )
        }
      </Tabs>
      {submitted && !built.ok ? (
        <p className="alert" role="alert">
          Check the highlighted fields
          {tabs.some((t) => t.invalid) &&
            ` (on ${tabs
              .filter((t) => t.invalid)
              .map((t) => t.label)
              .join(', ')})`}
          .
        </p>
      ) : (
        <FormAlert error={mutation.error} shownFields={SHOWN_FIELDS} />
      )}
      <div className="modal-footer">
        <FormModalButtons
          pending={mutation.isPending}
          submitLabel={editing ? 'Save changes' : 'Create key'}
          onCancel={onClose}
        />
      </div>
    </form>
  );
}
