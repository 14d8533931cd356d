import { type PipeTransform } from '@nestjs/common';
import { findUnstorableText, invalidInputMessage, issuesToFields } from '@portcullis/shared/validation';
import type { z } from 'zod';
import { DomainError } from './errors/domain-error';

/** `?search=&status=` means "no filter": empty query parameters are treated as absent. */
function withoutEmptyParams(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ''));
}

/**
 * Validates a body or query with a shared zod schema at the edge of the process.
 * Every bad field is named in `details`; nothing past this point sees unvalidated input.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: 'body' | 'query' = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const input = this.where === 'body' ? (value === undefined ? {} : value) : withoutEmptyParams(value);
    if (this.where === 'body' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
      throw new DomainError('invalid_request', 'The request body must be a JSON object', [
        { field: '(body)', message: 'must be a JSON object' },
      ]);
    }
    const unstorable = findUnstorableText(input);
    if (unstorable !== null) {
      throw DomainError.invalidField(
        unstorable,
        'must not contain NUL characters or unpaired UTF-16 surrogates',
      );
    }
    const parsed = this.schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const details = issuesToFields(parsed.error);
    throw new DomainError('invalid_request', invalidInputMessage(this.where, details), details);
  }
}
