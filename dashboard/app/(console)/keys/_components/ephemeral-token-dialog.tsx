'use client';

import type { ApiKey } from '@portcullis/shared/api-keys';
import { type FormEvent, useState } from 'react';
import { FormAlert } from '@/components/ui/form-alert';
import { FormModalButtons } from '@/components/ui/form-parts';
import { Modal } from '@/components/ui/modal';
import { SecretReveal } from '@/components/ui/secret-reveal';
import { SelectField } from '@/components/ui/select-field';
import { fieldError } from '@/lib/api/errors';
import { EPHEMERAL_LIFETIMES } from '@/lib/api/keys';
import { formatDateTime } from '@/lib/format';
import { type IssuedToken, useCreateEphemeralToken } from '../hooks/use-create-ephemeral-token';

/** Issues a short-lived token acting as the key; the token is shown once, like a new key. */
export function EphemeralTokenDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  return (
    <Modal
      open={apiKey !== null}
      title={apiKey ? `Ephemeral token for “${apiKey.name}”` : 'Ephemeral token'}
      onClose={onClose}
    >
      {apiKey && <EphemeralTokenForm apiKey={apiKey} onClose={onClose} />}
    </Modal>
  );
}

function EphemeralTokenForm({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const [seconds, setSeconds] = useState<number>(900);
  // The token lives in this component's state only; closing the dialog forgets it.
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const create = useCreateEphemeralToken(setIssued);

  if (issued) {
    return (
      <SecretReveal
        title="Ephemeral token created! Copy it now"
        secret={issued.token}
        secretLabel="Ephemeral token"
        warning="This token will not be shown again. Make sure to save it securely."
        onDone={onClose}
      >
        <p>
          Valid until <strong>{formatDateTime(issued.expiresAt)}</strong>, and never longer than the key: it
          stops working when the key is rotated, deactivated, revoked or deleted.
        </p>
      </SecretReveal>
    );
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ keyId: apiKey.id, expiresInSeconds: seconds });
  };

  return (
    <form noValidate onSubmit={onSubmit} className="form">
      <p className="muted">
        A short-lived token that acts as this key at every gateway, for a browser, a mobile app or a job that
        should not hold the key itself.
      </p>
      <SelectField
        label="Lifetime"
        value={String(seconds)}
        onChange={(event) => setSeconds(Number(event.target.value))}
        error={fieldError(create.error, 'expiresInSeconds')}
      >
        {EPHEMERAL_LIFETIMES.map((lifetime) => (
          <option key={lifetime.seconds} value={lifetime.seconds}>
            {lifetime.label}
          </option>
        ))}
      </SelectField>
      <FormAlert error={create.error} shownFields={['expiresInSeconds']} />
      <div className="modal-footer">
        <FormModalButtons pending={create.isPending} submitLabel="Create token" onCancel={onClose} />
      </div>
    </form>
  );
}
