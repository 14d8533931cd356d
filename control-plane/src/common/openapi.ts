import type { ApiBody, OpenAPIObject } from '@nestjs/swagger';
import { API_ROUTES, errorStatuses, type RouteSpec } from '@portcullis/shared/api/routes';
import { ControlPlaneErrorBodySchema } from '@portcullis/shared/errors';
import { z } from 'zod';

type OpenApiSchema = Extract<Parameters<typeof ApiBody>[0], { schema: unknown }>['schema'];

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The OpenAPI schema of a shared zod schema, as the request side sees it. */
export function jsonSchema(schema: z.ZodType): OpenApiSchema {
  return toJsonSchema(schema, 'input') as OpenApiSchema;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `details` names each bad field',
  401: 'Not signed in (or no valid token)',
  403: 'Not allowed: not an admin, membership suspended, or a cross-site change',
  404: 'Not found (also for another organization’s objects)',
  409: 'Conflicts with the current state',
  413: 'The request body is larger than 2 MB',
  422: 'Understood but cannot be done',
  429: 'Too many attempts',
  500: 'Something went wrong on the server',
};

const SECURITY: Record<RouteSpec['auth'], Record<string, string[]>[]> = {
  public: [],
  'session-optional': [{}, { session: [] }, { sessionCookie: [] }],
  session: [{ session: [] }, { sessionCookie: [] }],
  gateway: [{ gatewayToken: [] }],
};

type Operation = Record<string, unknown> & { responses?: Record<string, unknown> };

/**
 * Completes the document Nest builds from the controllers with the shared route table: each
 * operation's stable operationId, its answer's schema, the error body for each error status it can
 * answer, and who may call it. A route missing from either side is left as it is (a test compares them).
 */
export function applyRouteTable(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  const components = document.components;
  components.schemas = {
    ...components.schemas,
    ErrorBody: toJsonSchema(ControlPlaneErrorBodySchema, 'output'),
  };
  components.securitySchemes = {
    session: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/v1/auth/login' },
    sessionCookie: { type: 'apiKey', in: 'cookie', name: 'portcullis_session' },
    gatewayToken: { type: 'http', scheme: 'bearer', description: 'A gateway token (ptcg_…)' },
  };
  for (const [operationId, route] of Object.entries(API_ROUTES) as [string, RouteSpec][]) {
    const op = document.paths[route.path]?.[route.method.toLowerCase() as 'get'] as Operation | undefined;
    if (!op) continue;
    const success =
      route.response === null
        ? { description: 'Done; no body' }
        : {
            description: 'Success',
            content: {
              [route.text ? 'text/plain' : 'application/json']: {
                schema: toJsonSchema(route.response, 'output'),
              },
            },
          };
    const errors = Object.fromEntries(
      errorStatuses(route).map((status) => [
        String(status),
        {
          description: ERROR_DESCRIPTIONS[status] ?? 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        },
      ]),
    );
    op.operationId = operationId;
    op.responses = { [String(route.status)]: success, ...errors };
    op.security = SECURITY[route.auth];
    if (route.admin) op['x-admin-only'] = true;
  }
  return document;
}
