'use client';

import { type FormEvent, useId } from 'react';
import { isApiError } from '@/lib/api/client';
import { useSignIn } from '../hooks/use-sign-in';

const errorMessage = (error: unknown): string => {
  if (isApiError(error)) return error.message;
  return 'Something went wrong. Try again.';
};

const fieldError = (error: unknown, field: string): string | undefined =>
  isApiError(error) ? error.details?.find((detail) => detail.field === field)?.message : undefined;

export function SignInForm() {
  const signIn = useSignIn();
  const id = useId();
  const emailErrorId = `${id}-email-error`;
  const passwordErrorId = `${id}-password-error`;
  const emailError = fieldError(signIn.error, 'email');
  const passwordError = fieldError(signIn.error, 'password');
  // Stays disabled after success too, while the browser navigates away.
  const busy = signIn.isPending || signIn.isSuccess;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    signIn.mutate({ email: String(data.get('email') ?? ''), password: String(data.get('password') ?? '') });
  };

  return (
    // noValidate: the control plane's 400 is the one source of validation messages.
    <form className="form" onSubmit={onSubmit} aria-busy={busy} noValidate>
      {signIn.isError && (
        <p className="alert" role="alert">
          {errorMessage(signIn.error)}
        </p>
      )}
      <div className="field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          name="email"
          type="email"
          autoComplete="username"
          required
          aria-invalid={emailError ? true : undefined}
          aria-describedby={emailError ? emailErrorId : undefined}
        />
        {emailError && (
          <p className="field-error" id={emailErrorId}>
            {emailError}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={passwordError ? true : undefined}
          aria-describedby={passwordError ? passwordErrorId : undefined}
        />
        {passwordError && (
          <p className="field-error" id={passwordErrorId}>
            {passwordError}
          </p>
        )}
      </div>
      <button className="button button-primary" type="submit" disabled={busy}>
        {busy && <span className="spinner" aria-hidden="true" />}
        Sign in
      </button>
    </form>
  );
}
