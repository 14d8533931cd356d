import { z } from 'zod';

/**
 * Error codes, one enum per surface, each mapped to its HTTP status in exactly one place.
 * Control plane bodies: { error: { code, message, details? } }.
 * Gateway bodies (OpenAI-shaped): { error: { message, type, code } }.
 */
export const CONTROL_PLANE_ERRORS = {
  invalid_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  /** A cookie-authenticated change (or a sign-in) sent from a page that is not the dashboard. */
  cross_site_request: 403,
  not_found: 404,
  conflict: 409,
  key_revoked: 409,
  key_expired: 409,
  invitation_expired: 409,
  invitation_used: 409,
  /** A per-user cap (MAX_ORGANIZATIONS_PER_USER, MAX_KEYS_PER_USER) is reached. */
  limit_reached: 409,
  payload_too_large: 413,
  unprocessable: 422,
  too_many_attempts: 429,
  /** A key already has MAX_EPHEMERAL_TOKENS_PER_KEY live ephemeral tokens. */
  too_many_tokens: 429,
  internal_error: 500,
} as const;
/** The largest request body the control plane reads; the dashboard's proxy refuses larger ones before buffering. */
export const CONTROL_PLANE_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

export type ControlPlaneErrorCode = keyof typeof CONTROL_PLANE_ERRORS;

export const CONTROL_PLANE_ERROR_CODES = Object.keys(CONTROL_PLANE_ERRORS) as [
  ControlPlaneErrorCode,
  ...ControlPlaneErrorCode[],
];

export const FieldIssueSchema = z.object({
  /** Dotted path of the offending field, e.g. `limits.requestsPerMinute` or `ipAllowlist.2`. */
  field: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

/** Every control plane error answer (API.md); `details` names each bad field of a 400. */
export const ControlPlaneErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(CONTROL_PLANE_ERROR_CODES),
    message: z.string(),
    details: z.array(FieldIssueSchema).optional(),
  }),
});
export type ControlPlaneErrorBody = z.infer<typeof ControlPlaneErrorBodySchema>;

export const GATEWAY_ERRORS = {
  invalid_api_key: { status: 401, type: 'authentication_error' },
  key_revoked: { status: 401, type: 'authentication_error' },
  key_inactive: { status: 401, type: 'authentication_error' },
  key_expired: { status: 401, type: 'authentication_error' },
  user_suspended: { status: 403, type: 'permission_error' },
  ip_not_allowed: { status: 403, type: 'permission_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  provider_not_allowed: { status: 403, type: 'permission_error' },
  insufficient_scope: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, type: 'rate_limit_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_timeout: { status: 504, type: 'api_error' },
  gateway_not_ready: { status: 503, type: 'api_error' },
  /** The control plane refused this gateway's token (it was removed): it serves nothing. */
  gateway_removed: { status: 503, type: 'api_error' },
} as const;
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export interface GatewayErrorBody {
  error: { message: string; type: string; code: GatewayErrorCode };
}

export function gatewayError(
  code: GatewayErrorCode,
  message: string,
): { status: number; body: GatewayErrorBody } {
  const { status, type } = GATEWAY_ERRORS[code];
  return { status, body: { error: { message, type, code } } };
}

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
