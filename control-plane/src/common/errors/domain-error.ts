import { CONTROL_PLANE_ERRORS, type ControlPlaneErrorCode, type FieldIssue } from '@portcullis/shared/errors';

/** The one error type services throw; the exception filter turns it into `{ error: { code, message, details } }`. */
export class DomainError extends Error {
  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
    readonly details?: FieldIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): number {
    return CONTROL_PLANE_ERRORS[this.code];
  }

  static notFound(what: string): DomainError {
    return new DomainError('not_found', `${what} not found`);
  }

  static invalidField(field: string, message: string): DomainError {
    return new DomainError('invalid_request', `${field} ${message}`, [{ field, message }]);
  }

  /** A 400 naming every bad field: `<lead>: field message; field message`. */
  static invalidFields(lead: string, details: FieldIssue[]): DomainError {
    return new DomainError(
      'invalid_request',
      `${lead}: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`,
      details,
    );
  }
}
