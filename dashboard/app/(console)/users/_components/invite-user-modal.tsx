'use client';

import { ROLES, type Role } from '@portcullis/shared/auth';
import { type FormEvent, useId, useState } from 'react';
import { CopyButton } from '@/components/ui/copy-button';
import { FormModal } from '@/components/ui/form-modal';
import { FormErrors } from '@/components/ui/form-parts';
import { Modal } from '@/components/ui/modal';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { fieldError } from '@/lib/api/errors';
import type { InvitationCreated } from '@/lib/api/invitations';
import { formatDateTime } from '@/lib/format';
import { useInviteUser } from '../hooks/use-invite-user';

const ROLE_LABELS: Record<Role, string> = {
  member: 'Member: their own keys, read-only elsewhere',
  admin: 'Admin: manages everything in the organization',
};

/**
 * Invite by email and role, then show the one-time accept link to pass on (and whether it was
 * mailed). Mount it anew for each opening (a changing `key`).
 */
export function InviteUserModal({
  open,
  onClose,
  orgId,
}: {
  open: boolean;
  onClose: () => void;
  orgId: string;
}) {
  const invite = useInviteUser(orgId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const formId = useId();

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    invite.mutate({ email, role }, { onSuccess: setCreated });
  };

  const again = () => {
    setCreated(null);
    setEmail('');
    invite.reset();
  };

  // "Already a member" (409) is about the email: it belongs under that field.
  const conflict = isApiError(invite.error) && invite.error.status === 409 ? invite.error.message : undefined;
  const emailError = fieldError(invite.error, 'email') ?? conflict;
  const roleError = fieldError(invite.error, 'role');
  const general = invite.isError && !emailError && !roleError;

  if (created) {
    const mailed = created.invitation.mailStatus !== null;
    return (
      <Modal
        open={open}
        onClose={onClose}
        title="Invitation created"
        footer={
          <>
            <button type="button" className="button" onClick={again}>
              Invite another
            </button>
            <button type="button" className="button button-primary" onClick={onClose}>
              Done
            </button>
          </>
        }
      >
        <div className="success-box" role="status">
          <strong>
            {created.invitation.email} is invited as{' '}
            {created.invitation.role === 'admin' ? 'an admin' : 'a member'}.
          </strong>
          <span>
            {mailed
              ? `An email with this link is on its way to ${created.invitation.email}.`
              : 'No email was sent (this control plane does not send mail): pass this link on yourself.'}
          </span>
        </div>
        {created.acceptUrl === null ? (
          <p className="field-hint" data-link-mailed>
            For their protection, the link is only in that email: it proves the invitee owns the address.
          </p>
        ) : (
          <>
            <div className="field">
              <strong>Invitation link</strong>
              <code className="secret-block" data-accept-url>
                {created.acceptUrl}
              </code>
              <p className="field-hint">
                Whoever opens this link can join as {created.invitation.email}; it works once, until{' '}
                {formatDateTime(created.invitation.expiresAt)}.
              </p>
            </div>
            <div>
              <CopyButton value={created.acceptUrl} label="Copy link" ariaLabel="Copy invitation link" />
            </div>
          </>
        )}
      </Modal>
    );
  }

  return (
    <FormModal
      open={open}
      onClose={onClose}
      title="Invite user"
      description="They get a link to choose a name and password and join this organization."
      formId={formId}
      submitLabel="Send invitation"
      busy={invite.isPending}
    >
      <form id={formId} className="form" onSubmit={onSubmit} noValidate>
        <FormErrors error={invite.error} general={general} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="off"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={emailError}
        />
        <SelectField
          label="Role"
          name="role"
          value={role}
          onChange={(event) => setRole(event.target.value as Role)}
          error={roleError}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
      </form>
    </FormModal>
  );
}
