'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { FormErrors } from '@/components/ui/form-parts';
import { PageHeader } from '@/components/ui/page-header';
import { QueryState } from '@/components/ui/query-state';
import { SectionCard } from '@/components/ui/section-card';
import { TextField } from '@/components/ui/text-field';
import { Timestamp } from '@/components/ui/timestamp';
import { type SessionView, sessionsQueryOptions } from '@/lib/api/auth';
import { fieldError } from '@/lib/api/errors';
import { useChangePassword } from '../hooks/use-change-password';
import { useSignOutEverywhere } from '../hooks/use-sign-out-everywhere';
import styles from './account.module.css';

/** The signed-in person's own account: where they are signed in, and their password. */
export function AccountPage() {
  return (
    <div className={`page-stack ${styles.page}`}>
      <PageHeader title="Your account" description="Where you are signed in, and your password." />
      <Sessions />
      <ChangePassword />
    </div>
  );
}

function Sessions() {
  const query = useQuery(sessionsQueryOptions());
  const everywhere = useSignOutEverywhere();
  return (
    <SectionCard
      id="sessions-title"
      title="Sessions"
      actions={
        <button
          type="button"
          className="button"
          disabled={everywhere.isPending || everywhere.isSuccess}
          onClick={() => everywhere.mutate()}
        >
          Sign out everywhere
        </button>
      }
    >
      <FormErrors error={everywhere.error} general={everywhere.isError} />
      <QueryState query={query}>
        {({ data }) => (
          <div className={styles.tableWrap}>
            <table className="table" aria-labelledby="sessions-title">
              <thead>
                <tr>
                  <th scope="col">Signed in</th>
                  <th scope="col">From</th>
                  <th scope="col">Browser</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {data.map((s: SessionView) => (
                  <tr key={s.id} data-session-current={s.current || undefined}>
                    <td>
                      <Timestamp value={s.createdAt} relative />
                      {s.current && <strong> (this session)</strong>}
                    </td>
                    <td>{s.sourceIp ?? '—'}</td>
                    <td className={`muted ${styles.agent}`}>{s.userAgent ?? '—'}</td>
                    <td>
                      <Timestamp value={s.expiresAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </SectionCard>
  );
}

function ChangePassword() {
  const change = useChangePassword();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const error = change.error;
  const currentError = fieldError(error, 'currentPassword');
  const newError = fieldError(error, 'newPassword');

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (newPassword !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          setCurrent('');
          setNew('');
          setConfirm('');
        },
      },
    );
  };

  return (
    <SectionCard id="password-title" title="Change password">
      <form className="form" onSubmit={onSubmit} aria-busy={change.isPending} noValidate>
        <FormErrors error={error} general={change.isError && !currentError && !newError} />
        <TextField
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
          error={currentError}
        />
        <TextField
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
          error={newError}
        />
        <TextField
          label="Confirm new password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => {
            setConfirm(e.target.value);
            setMismatch(false);
          }}
          error={mismatch ? 'The passwords do not match' : undefined}
        />
        <p className="field-hint">At least 8 characters. Your other sessions are signed out.</p>
        <div>
          <button className="button button-primary" type="submit" disabled={change.isPending}>
            {change.isPending && <span className="spinner" aria-hidden="true" />}
            Change password
          </button>
        </div>
      </form>
    </SectionCard>
  );
}
