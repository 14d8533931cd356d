'use client';

import type { FormEvent } from 'react';
import { TextField } from '@/components/ui/text-field';
import { isApiError } from '@/lib/api/client';
import { useSignIn } from '../hooks/use-sign-in';

const errorMessage = (error: unknown): string => {
  if (isApiError(error)) return error.message;
  return 'Something went wrong. Try again.';
};

const fieldError = (error: unknown, field: string): string | undefined =>
  isApiError(error) ? error.details?.find((detail) => detail.field === field)?.message : undefined;

export function SignInForm({ next }: { next: string }) {
  const signIn = useSignIn(next);
  // Stays disabled after success too, while the browser navigates away.
  const busy = signIn.isPending || signIn.isSuccess;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    signIn.mutate({ email: String(data.get('email') ?? ''), password: String(data.get('password') ?? '') });
  };

  return (
    // noValidate: the control plane's 400 is the one source of validation messages.
    <form className="form" onSubmit={onSubmit} aria-busy={busy} noValidate data-next={next}>
      {signIn.isError && (
        <p className="alert" role="alert">
          {errorMessage(signIn.error)}
        </p>
      )}
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        required
        error={fieldError(signIn.error, 'email')}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        error={fieldError(signIn.error, 'password')}
      />
      <button className="button button-primary" type="submit" disabled={busy}>
        {busy && <span className="spinner" aria-hidden="true" />}
        Sign in
      </button>
    </form>
  );
}
