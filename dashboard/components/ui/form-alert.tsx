'use client';

import { isApiError } from '@/lib/api/client';
import { errorMessage, otherFieldErrors } from '@/lib/api/errors';

/**
 * The alert of a form or dialog: the error's message, unless it is a 400 whose every field is already
 * shown under its input; field errors the form has no input for are listed so none is lost.
 */
export function FormAlert({ error, shownFields }: { error: unknown; shownFields: readonly string[] }) {
  if (error === null || error === undefined) return null;
  const others = otherFieldErrors(error, shownFields);
  const allShown = isApiError(error) && (error.details?.length ?? 0) > 0 && others.length === 0;
  if (allShown) {
    return (
      <p className="alert" role="alert">
        Check the highlighted fields.
      </p>
    );
  }
  return (
    <div className="alert" role="alert">
      <p>{errorMessage(error)}</p>
      {others.length > 0 && (
        <ul>
          {others.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
