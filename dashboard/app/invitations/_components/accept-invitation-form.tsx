'use client';

import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { FormErrors } from '@/components/ui/form-parts';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { errorMessage, fieldError } from '@/lib/api/errors';
import { JoinedButNotSignedIn, useAcceptInvitation } from '../hooks/use-accept-invitation';
import styles from './accept-invitation.module.css';

const DEAD_LINK_CODES = new Set(['invitation_expired', 'invitation_used']);

export function AcceptInvitationForm({ token }: { token: string }) {
  const accept = useAcceptInvitation(token);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const busy = accept.isPending || accept.isSuccess;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    accept.mutate({ name, password });
  };

  const error = accept.error;
  if (error instanceof JoinedButNotSignedIn) {
    return (
      <div className="success-box" role="status">
        <strong>You joined the organization.</strong>
        <span>
          Signing you in did not work ({errorMessage(error.cause)}).{' '}
          <Link href="/sign-in?next=%2Fkeys">Sign in</Link> as {error.email} with the password you just chose.
        </span>
      </div>
    );
  }
  if (isApiError(error) && (DEAD_LINK_CODES.has(error.code) || error.status === 404)) {
    return (
      <div className={`alert ${styles.deadLink}`} role="alert">
        <p>
          <strong>{error.status === 404 ? 'This invitation link is not valid.' : error.message}</strong>
        </p>
        <p>
          An admin of the organization can send you a new invitation link
          {error.status === 404 ? ' (or check that you copied the whole link)' : ''}.
        </p>
        <p>
          Already joined? <Link href="/sign-in">Sign in</Link>.
        </p>
      </div>
    );
  }

  // A wrong password for an email that already has an account is about the password field.
  const passwordError =
    fieldError(error, 'password') ??
    (isApiError(error) && error.code === 'invalid_credentials' ? error.message : undefined);
  const nameError = fieldError(error, 'name');
  const general = accept.isError && !passwordError && !nameError;

  return (
    <form className="form" onSubmit={onSubmit} aria-busy={busy} noValidate>
      <FormErrors error={error} general={general} />
      <TextField
        label="Your name"
        name="name"
        autoComplete="name"
        required
        value={name}
        onChange={(event) => setName(event.target.value)}
        error={nameError}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={passwordError}
      />
      <TextField
        label="Confirm password"
        name="confirm"
        type="password"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(event) => {
          setConfirm(event.target.value);
          setMismatch(false);
        }}
        error={mismatch ? 'The passwords do not match' : undefined}
      />
      <p className="field-hint">At least 8 characters.</p>
      <button className="button button-primary" type="submit" disabled={busy}>
        {busy && <span className="spinner" aria-hidden="true" />}
        Accept invitation
      </button>
    </form>
  );
}
