'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, type ReactNode, useState } from 'react';
import { FormErrors } from '@/components/ui/form-parts';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { errorMessage, fieldError } from '@/lib/api/errors';
import { type InvitationPeek, invitationQueryOptions } from '@/lib/api/invitations';
import { useSignOut } from '../../(console)/hooks/use-sign-out';
import { JoinedButNotSignedIn, useAcceptInvitation, useJoinAsSignedIn } from '../hooks/use-accept-invitation';
import styles from './accept-invitation.module.css';

const DEAD_LINK_CODES = new Set(['invitation_expired', 'invitation_used']);

function DeadLink({ error }: { error: unknown }) {
  const notFound = !isApiError(error) || error.status === 404;
  return (
    <div className={`alert ${styles.deadLink}`} role="alert">
      <p>
        <strong>{notFound ? 'This invitation link is not valid.' : error.message}</strong>
      </p>
      <p>
        An admin of the organization can send you a new invitation link
        {notFound ? ' (or check that you copied the whole link)' : ''}.
      </p>
      <p>
        Already joined? <Link href="/sign-in">Sign in</Link>.
      </p>
    </div>
  );
}

const isDeadLink = (error: unknown) =>
  isApiError(error) && (DEAD_LINK_CODES.has(error.code) || error.status === 404);

/**
 * The invitation page: what the link is for, then the way to accept it. A new email chooses a name and
 * password; an email that already has an account accepts signed in as that account (the control plane
 * never takes its password here), so anyone else is asked to sign in as it first.
 */
export function AcceptInvitation({ token }: { token: string }) {
  const peek = useQuery(invitationQueryOptions(token));
  if (peek.isPending) {
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Opening the invitation…
      </p>
    );
  }
  if (peek.isError) {
    if (isDeadLink(peek.error)) return <DeadLink error={peek.error} />;
    return <FormErrors error={peek.error} general />;
  }
  const { invitation, accountExists, signedInAs } = peek.data;
  const intro = (
    <p className="muted" data-invitation-email={invitation.email}>
      <strong>{invitation.email}</strong> is invited to join <strong>{invitation.organization.name}</strong>{' '}
      as {invitation.role === 'admin' ? 'an admin' : 'a member'}.
    </p>
  );
  if (!accountExists) {
    return (
      <Section intro={intro}>
        <p className="muted">Choose your name and a password to accept the invitation.</p>
        <AcceptInvitationForm token={token} />
      </Section>
    );
  }
  if (signedInAs === invitation.email) {
    return (
      <Section intro={intro}>
        <JoinAsSignedIn token={token} email={invitation.email} />
      </Section>
    );
  }
  return (
    <Section intro={intro}>
      <SignInFirst token={token} peek={peek.data} />
    </Section>
  );
}

const Section = ({ intro, children }: { intro: ReactNode; children: ReactNode }) => (
  <div className="form">
    {intro}
    {children}
  </div>
);

function JoinAsSignedIn({ token, email }: { token: string; email: string }) {
  const join = useJoinAsSignedIn(token);
  if (isDeadLink(join.error)) return <DeadLink error={join.error} />;
  const busy = join.isPending || join.isSuccess;
  return (
    <>
      <FormErrors error={join.error} general={join.isError} />
      <p>You are signed in as {email}.</p>
      <button className="button button-primary" type="button" disabled={busy} onClick={() => join.mutate()}>
        {busy && <span className="spinner" aria-hidden="true" />}
        Accept invitation
      </button>
    </>
  );
}

function SignInFirst({ token, peek }: { token: string; peek: InvitationPeek }) {
  const signOut = useSignOut();
  const email = peek.invitation.email;
  const signInHref = `/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}`;
  return (
    <div className={styles.signInFirst} role="status" data-sign-in-required>
      <p>
        <strong>
          {email} already has an account: sign in as {email} to accept.
        </strong>
      </p>
      {peek.signedInAs ? (
        <>
          <p>You are signed in as {peek.signedInAs}.</p>
          <button
            className="button"
            type="button"
            disabled={signOut.isPending}
            // Signing out lands on the sign-in page; it brings the visitor back here afterwards.
            onClick={() => signOut.mutate(undefined, { onSuccess: () => window.location.assign(signInHref) })}
          >
            Sign out and sign in as {email}
          </button>
        </>
      ) : (
        <p>
          <Link className="button button-primary" href={signInHref}>
            Sign in as {email}
          </Link>
        </p>
      )}
    </div>
  );
}

/** A new account: name and password; its email is the invitation's. */
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
  if (isDeadLink(error)) return <DeadLink error={error} />;

  const passwordError = fieldError(error, 'password');
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
