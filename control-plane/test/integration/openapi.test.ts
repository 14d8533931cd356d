import { API_ROUTES, errorStatuses, ROUTE_LIST } from '@portcullis/shared/api/routes';
import { AUDIT_ACTIONS } from '@portcullis/shared/audit';
import { describe, expect, it } from 'vitest';
import { api } from './client';

const ROUTES = [
  'post /api/v1/auth/login',
  'post /api/v1/auth/logout',
  'post /api/v1/auth/logout-everywhere',
  'post /api/v1/auth/password',
  'get /api/v1/auth/sessions',
  'get /api/v1/me',
  'get /api/v1/orgs',
  'post /api/v1/orgs',
  'get /api/v1/orgs/{org}',
  'get /api/v1/orgs/{org}/users',
  'get /api/v1/orgs/{org}/users/{id}',
  'patch /api/v1/orgs/{org}/users/{id}',
  'delete /api/v1/orgs/{org}/users/{id}',
  'post /api/v1/orgs/{org}/users/{id}/suspend',
  'post /api/v1/orgs/{org}/users/{id}/reactivate',
  'post /api/v1/orgs/{org}/invitations',
  'delete /api/v1/orgs/{org}/invitations/{id}',
  'post /api/v1/invitations/{token}/accept',
  'get /api/v1/invitations/{token}',
  'delete /api/v1/orgs/{org}/users/{id}/sessions',
  'get /api/v1/orgs/{org}/keys',
  'post /api/v1/orgs/{org}/keys',
  'get /api/v1/orgs/{org}/keys/{id}',
  'patch /api/v1/orgs/{org}/keys/{id}',
  'delete /api/v1/orgs/{org}/keys/{id}',
  'post /api/v1/orgs/{org}/keys/{id}/rotate',
  'post /api/v1/orgs/{org}/keys/{id}/ephemeral-tokens',
  'post /api/v1/orgs/{org}/keys/{id}/activate',
  'post /api/v1/orgs/{org}/keys/{id}/deactivate',
  'post /api/v1/orgs/{org}/keys/{id}/revoke',
  'get /api/v1/orgs/{org}/keys/{id}/requests',
  'get /api/v1/orgs/{org}/usage',
  'get /api/v1/orgs/{org}/provider-credentials',
  'post /api/v1/orgs/{org}/provider-credentials',
  'get /api/v1/orgs/{org}/provider-credentials/{id}',
  'patch /api/v1/orgs/{org}/provider-credentials/{id}',
  'delete /api/v1/orgs/{org}/provider-credentials/{id}',
  'get /api/v1/orgs/{org}/models',
  'post /api/v1/orgs/{org}/models',
  'get /api/v1/orgs/{org}/models/{id}',
  'patch /api/v1/orgs/{org}/models/{id}',
  'delete /api/v1/orgs/{org}/models/{id}',
  'get /api/v1/orgs/{org}/mcp-servers',
  'post /api/v1/orgs/{org}/mcp-servers',
  'get /api/v1/orgs/{org}/mcp-servers/{id}',
  'patch /api/v1/orgs/{org}/mcp-servers/{id}',
  'delete /api/v1/orgs/{org}/mcp-servers/{id}',
  'post /api/v1/orgs/{org}/mcp-servers/{id}/refresh-tools',
  'post /api/v1/orgs/{org}/gateway-tokens',
  'get /api/v1/orgs/{org}/gateways',
  'delete /api/v1/orgs/{org}/gateways/{id}',
  'post /api/v1/gateway/register',
  'post /api/v1/gateway/heartbeat',
  'get /api/v1/gateway/snapshot',
  'get /api/v1/orgs/{org}/webhooks',
  'post /api/v1/orgs/{org}/webhooks',
  'get /api/v1/orgs/{org}/webhooks/{id}',
  'delete /api/v1/orgs/{org}/webhooks/{id}',
  'post /api/v1/orgs/{org}/webhooks/{id}/test',
  'get /api/v1/orgs/{org}/webhooks/{id}/deliveries',
  'get /api/v1/orgs/{org}/audit-events',
  'get /api/v1/orgs/{org}/audit-events/verify',
  'get /api/v1/orgs/{org}/groups',
  'post /api/v1/orgs/{org}/groups',
  'get /api/v1/orgs/{org}/groups/{id}',
  'patch /api/v1/orgs/{org}/groups/{id}',
  'delete /api/v1/orgs/{org}/groups/{id}',
  'put /api/v1/orgs/{org}/groups/{id}/members/{userId}',
  'delete /api/v1/orgs/{org}/groups/{id}/members/{userId}',
  'get /api/v1/orgs/{org}/users/{id}/grants',
  'post /api/v1/orgs/{org}/users/{id}/grants',
  'delete /api/v1/orgs/{org}/users/{id}/grants/{model}',
  'get /api/v1/orgs/{org}/users/{id}/limits',
  'put /api/v1/orgs/{org}/users/{id}/limits',
  'get /api/v1/orgs/{org}/groups/{id}/grants',
  'post /api/v1/orgs/{org}/groups/{id}/grants',
  'delete /api/v1/orgs/{org}/groups/{id}/grants/{model}',
  'get /api/v1/orgs/{org}/groups/{id}/limits',
  'put /api/v1/orgs/{org}/groups/{id}/limits',
  'get /api/v1/orgs/{org}/settings',
  'patch /api/v1/orgs/{org}/settings',
  'get /healthz',
  'get /metrics',
];

describe('GET /api/openapi.json', () => {
  it('describes every route, with request schemas for bodies', async () => {
    const res = await api<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    }>('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const described = Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(described.sort()).toEqual([...ROUTES].sort());
    const create = res.body.paths['/api/v1/orgs/{org}/keys']?.post?.requestBody as {
      content: {
        'application/json': { schema: { required: string[]; properties: Record<string, unknown> } };
      };
    };
    expect(create.content['application/json'].schema.required).toEqual(['name']);
    expect(Object.keys(create.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining([
        'name',
        'expiresIn',
        'expiresAt',
        'ownerId',
        'limits',
        'budget',
        'ipAllowlist',
        'mcp',
      ]),
    );
    const ephemeral = res.body.paths['/api/v1/orgs/{org}/keys/{id}/ephemeral-tokens']?.post?.requestBody as {
      content: { 'application/json': { schema: { properties: Record<string, unknown> } } };
    };
    expect(ephemeral.content['application/json'].schema.properties.expiresInSeconds).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 900,
    });
  });

  it("documents the audit trail's action filter as the shared list of actions", async () => {
    const res = await api<{
      paths: Record<
        string,
        { get?: { parameters?: { name: string; in: string; schema?: { enum?: string[] } }[] } }
      >;
    }>('GET', '/api/openapi.json');
    const action = res.body.paths['/api/v1/orgs/{org}/audit-events']?.get?.parameters?.find(
      (p) => p.in === 'query' && p.name === 'action',
    );
    expect(action?.schema?.enum).toEqual([...AUDIT_ACTIONS]);
  });
});

describe('the OpenAPI document and the shared route table', () => {
  interface Operation {
    operationId?: string;
    security?: Record<string, string[]>[];
    responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  }
  const operations = async () => {
    const res = await api<{ paths: Record<string, Record<string, Operation>> }>('GET', '/api/openapi.json');
    return Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, op })),
    );
  };

  it('describes the same routes as the table, each under its operationId', async () => {
    const described = (await operations()).map(
      ({ method, path, op }) => `${op.operationId} ${method} ${path}`,
    );
    const table = Object.entries(API_ROUTES).map(([id, r]) => `${id} ${r.method.toLowerCase()} ${r.path}`);
    expect(described.sort()).toEqual(table.sort());
  });

  it('gives every operation its answer, the error body for each error status, and who may call it', async () => {
    for (const { method, path, op } of await operations()) {
      const where = `${method} ${path}`;
      const route = ROUTE_LIST.find((r) => r.method.toLowerCase() === method && r.path === path);
      if (!route) throw new Error(`${where} is not in the route table`);
      const success = op.responses?.[String(route.status)];
      expect(success, where).toBeDefined();
      if (route.response !== null) {
        const content = success?.content?.[route.text ? 'text/plain' : 'application/json'];
        expect(content?.schema, where).toBeDefined();
      }
      const errors = Object.keys(op.responses ?? {}).filter((s) => Number(s) >= 400);
      expect(errors.map(Number), where).toEqual(errorStatuses(route));
      for (const status of errors) {
        expect(
          op.responses?.[status]?.content?.['application/json']?.schema?.$ref,
          `${where} ${status}`,
        ).toBe('#/components/schemas/ErrorBody');
      }
      expect(op.security, where).toBeDefined();
    }
  });

  it('publishes the error body and the security schemes', async () => {
    const res = await api<{
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    }>('GET', '/api/openapi.json');
    expect(res.body.components.schemas.ErrorBody).toMatchObject({
      type: 'object',
      required: ['error'],
    });
    expect(Object.keys(res.body.components.securitySchemes).sort()).toEqual([
      'gatewayToken',
      'session',
      'sessionCookie',
    ]);
  });
});
