import { isApiError } from './client';

/** A readable sentence for any error a query or mutation can end with. */
export const errorMessage = (error: unknown, fallback = 'Something went wrong. Try again.'): string =>
  isApiError(error) ? error.message : fallback;

/** The API's message for one field of a 400, if it named that field. */
export const fieldError = (error: unknown, field: string): string | undefined => {
  if (!isApiError(error)) return undefined;
  const exact = error.details?.find((detail) => detail.field === field);
  if (exact) return exact.message;
  // Nested fields (`budget.limitUsd`, `ipAllowlist.2`) are shown on their parent when asked for it.
  return error.details?.find((detail) => detail.field.startsWith(`${field}.`))?.message;
};

/** Field errors the form does not show next to an input, so they can be listed instead of lost. */
export const otherFieldErrors = (error: unknown, shown: readonly string[]): string[] => {
  if (!isApiError(error) || !error.details) return [];
  return error.details
    .filter(
      (detail) => !shown.some((field) => detail.field === field || detail.field.startsWith(`${field}.`)),
    )
    .map((detail) => `${detail.field}: ${detail.message}`);
};
