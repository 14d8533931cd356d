import { z } from 'zod';
import {
  ApiKeySchema,
  CreateEphemeralTokenSchema,
  CreateKeySchema,
  EphemeralTokenSchema,
  KeyWithSecretSchema,
  ListKeysQuerySchema,
  UpdateKeySchema,
} from '../api-keys';
import { AuditEventViewSchema, AuditVerificationSchema } from '../audit';
import {
  AcceptedInvitationSchema,
  AcceptInvitationBodySchema,
  ChangePasswordSchema,
  CreateOrgSchema,
  InvitationPeekSchema,
  InviteSchema,
  LoginSchema,
  MeSchema,
  OrgMembershipViewSchema,
  SessionViewSchema,
  SignedInSchema,
  UpdateMemberSchema,
} from '../auth';
import { GatewayCredentialsSchema } from '../gateway-credentials';
import { CreateGatewayTokenSchema, GatewayTokenCreatedSchema, GatewayViewSchema } from '../gateways-api';
import { CreateMcpServerSchema, McpServerViewSchema, UpdateMcpServerSchema } from '../mcp';
import { InvitationCreatedSchema, MemberDetailSchema, MemberRowSchema, MemberSchema } from '../members';
import {
  CreateGrantSchema,
  CreateGroupSchema,
  GrantViewSchema,
  GroupDetailViewSchema,
  GroupViewSchema,
  KeyDetailSchema,
  OrgSettingsSchema,
  PolicyLimitsViewSchema,
  PutLimitsSchema,
  UpdateGroupSchema,
  UpdateOrgSettingsSchema,
} from '../policy';
import {
  CreateCredentialSchema,
  CreateModelSchema,
  ModelViewSchema,
  ProviderCredentialViewSchema,
  UpdateCredentialSchema,
  UpdateModelSchema,
} from '../providers';
import {
  GatewayHeartbeatSchema,
  GatewayRegisterSchema,
  GatewayRegistrationSchema,
  WireEnvelopeSchema,
} from '../snapshot';
import { HealthSchema, KeyRequestViewSchema, UsageReportSchema } from '../usage';
import {
  CreateWebhookSchema,
  WebhookCreatedSchema,
  WebhookDeliveryViewSchema,
  WebhookViewSchema,
} from '../webhooks-api';
import { pageOf } from './fields';
import {
  AuditQuerySchema,
  ForceQuerySchema,
  KeyRequestsQuerySchema,
  PageQuerySchema,
  UsageQuerySchema,
  UsersQuerySchema,
} from './queries';

/**
 * The control plane's REST routes, once: what each takes and answers. The control plane publishes it
 * in its OpenAPI document, the typed client (client.ts) calls it, and the integration tests check
 * every real answer against it.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call: `session` (a session token as Bearer, or the session cookie), `session-optional`
 * (anyone; a session is used when present), `gateway` (a gateway token as Bearer), `public`.
 */
export type RouteAuth = 'public' | 'session' | 'session-optional' | 'gateway';

export interface RouteSpec {
  method: HttpMethod;
  /** As OpenAPI writes it: `/api/v1/orgs/{org}/keys/{id}`. */
  path: string;
  auth: RouteAuth;
  /** Only admins of the path's organization. */
  admin?: boolean;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body may be left out (its schema's defaults apply). */
  bodyOptional?: boolean;
  status: number;
  /** Null: no body (204). */
  response: z.ZodType | null;
  /** The answer is `text/plain` rather than JSON. */
  text?: boolean;
  /** Error statuses this route answers beyond those its shape implies (see `errorStatuses`). */
  alsoErrors?: readonly number[];
}

/** The error statuses a route can answer: those its auth, path, input and method imply, plus its own. */
export function errorStatuses(route: RouteSpec): number[] {
  // Anything unexpected is a 500 with the same error body, on every route.
  const statuses = new Set<number>([...(route.alsoErrors ?? []), 500]);
  const changes = route.method !== 'GET';
  if (route.body || route.query || changes) statuses.add(400);
  if (route.auth === 'session' || route.auth === 'gateway') statuses.add(401);
  // Cookie-carried changes from another site are refused (sign-in included); org routes check membership.
  if ((changes && route.auth !== 'gateway') || route.admin || route.path.includes('{org}')) statuses.add(403);
  if (route.path.includes('{')) statuses.add(404);
  if (route.body) statuses.add(413);
  return [...statuses].sort((a, b) => a - b);
}

const route = <const R extends RouteSpec>(spec: R): R => spec;

const V1 = '/api/v1';
const ORG = `${V1}/orgs/{org}`;

/** Grants and limits: the same five routes for a user and for a group. */
const subjectPolicy = <const C extends 'users' | 'groups'>(collection: C) => {
  const path = `${ORG}/${collection}/{id}` as const;
  return {
    listGrants: route({
      method: 'GET',
      path: `${path}/grants`,
      auth: 'session',
      status: 200,
      response: z.object({ data: z.array(GrantViewSchema) }),
    }),
    addGrant: route({
      method: 'POST',
      path: `${path}/grants`,
      auth: 'session',
      admin: true,
      body: CreateGrantSchema,
      status: 201,
      response: GrantViewSchema,
      alsoErrors: [409],
    }),
    removeGrant: route({
      method: 'DELETE',
      path: `${path}/grants/{model}`,
      auth: 'session',
      admin: true,
      status: 204,
      response: null,
    }),
    getLimits: route({
      method: 'GET',
      path: `${path}/limits`,
      auth: 'session',
      status: 200,
      response: PolicyLimitsViewSchema,
    }),
    putLimits: route({
      method: 'PUT',
      path: `${path}/limits`,
      auth: 'session',
      admin: true,
      body: PutLimitsSchema,
      status: 200,
      response: PolicyLimitsViewSchema,
    }),
  };
};
const userPolicy = subjectPolicy('users');
const groupPolicy = subjectPolicy('groups');

export const API_ROUTES = {
  // Sign-in and the signed-in user
  login: route({
    method: 'POST',
    path: `${V1}/auth/login`,
    auth: 'public',
    body: LoginSchema,
    status: 200,
    response: SignedInSchema,
    alsoErrors: [401, 429],
  }),
  logout: route({ method: 'POST', path: `${V1}/auth/logout`, auth: 'session', status: 204, response: null }),
  logoutEverywhere: route({
    method: 'POST',
    path: `${V1}/auth/logout-everywhere`,
    auth: 'session',
    status: 204,
    response: null,
  }),
  changePassword: route({
    method: 'POST',
    path: `${V1}/auth/password`,
    auth: 'session',
    body: ChangePasswordSchema,
    status: 204,
    response: null,
    alsoErrors: [429],
  }),
  listSessions: route({
    method: 'GET',
    path: `${V1}/auth/sessions`,
    auth: 'session',
    status: 200,
    response: pageOf(SessionViewSchema),
  }),
  getMe: route({ method: 'GET', path: `${V1}/me`, auth: 'session', status: 200, response: MeSchema }),

  // Organizations
  listOrgs: route({
    method: 'GET',
    path: `${V1}/orgs`,
    auth: 'session',
    status: 200,
    response: pageOf(OrgMembershipViewSchema),
  }),
  createOrg: route({
    method: 'POST',
    path: `${V1}/orgs`,
    auth: 'session',
    body: CreateOrgSchema,
    status: 201,
    response: OrgMembershipViewSchema,
    alsoErrors: [409],
  }),
  getOrg: route({
    method: 'GET',
    path: ORG,
    auth: 'session',
    status: 200,
    response: OrgMembershipViewSchema,
  }),

  // Users and invitations
  listUsers: route({
    method: 'GET',
    path: `${ORG}/users`,
    auth: 'session',
    admin: true,
    query: UsersQuerySchema,
    status: 200,
    response: pageOf(MemberRowSchema),
  }),
  getUser: route({
    method: 'GET',
    path: `${ORG}/users/{id}`,
    auth: 'session',
    status: 200,
    response: MemberDetailSchema,
  }),
  updateUser: route({
    method: 'PATCH',
    path: `${ORG}/users/{id}`,
    auth: 'session',
    body: UpdateMemberSchema,
    status: 200,
    response: MemberSchema,
    alsoErrors: [409],
  }),
  removeUser: route({
    method: 'DELETE',
    path: `${ORG}/users/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
    alsoErrors: [409],
  }),
  endUserSessions: route({
    method: 'DELETE',
    path: `${ORG}/users/{id}/sessions`,
    auth: 'session',
    admin: true,
    status: 200,
    response: z.object({ ended: z.number() }),
  }),
  suspendUser: route({
    method: 'POST',
    path: `${ORG}/users/{id}/suspend`,
    auth: 'session',
    admin: true,
    status: 200,
    response: MemberSchema,
    alsoErrors: [409],
  }),
  reactivateUser: route({
    method: 'POST',
    path: `${ORG}/users/{id}/reactivate`,
    auth: 'session',
    admin: true,
    status: 200,
    response: MemberSchema,
  }),
  createInvitation: route({
    method: 'POST',
    path: `${ORG}/invitations`,
    auth: 'session',
    admin: true,
    body: InviteSchema,
    status: 201,
    response: InvitationCreatedSchema,
    alsoErrors: [409],
  }),
  revokeInvitation: route({
    method: 'DELETE',
    path: `${ORG}/invitations/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  getInvitation: route({
    method: 'GET',
    path: `${V1}/invitations/{token}`,
    auth: 'session-optional',
    status: 200,
    response: InvitationPeekSchema,
    alsoErrors: [409],
  }),
  acceptInvitation: route({
    method: 'POST',
    path: `${V1}/invitations/{token}/accept`,
    auth: 'session-optional',
    body: AcceptInvitationBodySchema,
    status: 200,
    response: AcceptedInvitationSchema,
    alsoErrors: [401, 409],
  }),

  // API keys
  listKeys: route({
    method: 'GET',
    path: `${ORG}/keys`,
    auth: 'session',
    query: ListKeysQuerySchema,
    status: 200,
    response: pageOf(ApiKeySchema),
  }),
  createKey: route({
    method: 'POST',
    path: `${ORG}/keys`,
    auth: 'session',
    body: CreateKeySchema,
    status: 201,
    response: KeyWithSecretSchema,
    alsoErrors: [409],
  }),
  getKey: route({
    method: 'GET',
    path: `${ORG}/keys/{id}`,
    auth: 'session',
    status: 200,
    response: KeyDetailSchema,
  }),
  updateKey: route({
    method: 'PATCH',
    path: `${ORG}/keys/{id}`,
    auth: 'session',
    body: UpdateKeySchema,
    status: 200,
    response: ApiKeySchema,
    alsoErrors: [409],
  }),
  deleteKey: route({
    method: 'DELETE',
    path: `${ORG}/keys/{id}`,
    auth: 'session',
    status: 204,
    response: null,
  }),
  rotateKey: route({
    method: 'POST',
    path: `${ORG}/keys/{id}/rotate`,
    auth: 'session',
    status: 200,
    response: KeyWithSecretSchema,
    alsoErrors: [409],
  }),
  createEphemeralToken: route({
    method: 'POST',
    path: `${ORG}/keys/{id}/ephemeral-tokens`,
    auth: 'session',
    body: CreateEphemeralTokenSchema,
    bodyOptional: true,
    status: 201,
    response: EphemeralTokenSchema,
    alsoErrors: [409, 429],
  }),
  activateKey: route({
    method: 'POST',
    path: `${ORG}/keys/{id}/activate`,
    auth: 'session',
    status: 200,
    response: ApiKeySchema,
    alsoErrors: [409],
  }),
  deactivateKey: route({
    method: 'POST',
    path: `${ORG}/keys/{id}/deactivate`,
    auth: 'session',
    status: 200,
    response: ApiKeySchema,
    alsoErrors: [409],
  }),
  revokeKey: route({
    method: 'POST',
    path: `${ORG}/keys/{id}/revoke`,
    auth: 'session',
    status: 200,
    response: ApiKeySchema,
    alsoErrors: [409],
  }),
  listKeyRequests: route({
    method: 'GET',
    path: `${ORG}/keys/{id}/requests`,
    auth: 'session',
    query: KeyRequestsQuerySchema,
    status: 200,
    response: pageOf(KeyRequestViewSchema),
  }),
  getUsage: route({
    method: 'GET',
    path: `${ORG}/usage`,
    auth: 'session',
    query: UsageQuerySchema,
    status: 200,
    response: UsageReportSchema,
  }),

  // Provider credentials and models
  listProviderCredentials: route({
    method: 'GET',
    path: `${ORG}/provider-credentials`,
    auth: 'session',
    admin: true,
    query: PageQuerySchema,
    status: 200,
    response: pageOf(ProviderCredentialViewSchema),
  }),
  createProviderCredential: route({
    method: 'POST',
    path: `${ORG}/provider-credentials`,
    auth: 'session',
    admin: true,
    body: CreateCredentialSchema,
    status: 201,
    response: ProviderCredentialViewSchema,
    alsoErrors: [409],
  }),
  getProviderCredential: route({
    method: 'GET',
    path: `${ORG}/provider-credentials/{id}`,
    auth: 'session',
    admin: true,
    status: 200,
    response: ProviderCredentialViewSchema,
  }),
  updateProviderCredential: route({
    method: 'PATCH',
    path: `${ORG}/provider-credentials/{id}`,
    auth: 'session',
    admin: true,
    body: UpdateCredentialSchema,
    status: 200,
    response: ProviderCredentialViewSchema,
    alsoErrors: [409],
  }),
  deleteProviderCredential: route({
    method: 'DELETE',
    path: `${ORG}/provider-credentials/{id}`,
    auth: 'session',
    admin: true,
    query: ForceQuerySchema,
    status: 204,
    response: null,
    alsoErrors: [409],
  }),
  listModels: route({
    method: 'GET',
    path: `${ORG}/models`,
    auth: 'session',
    query: PageQuerySchema,
    status: 200,
    response: pageOf(ModelViewSchema),
  }),
  createModel: route({
    method: 'POST',
    path: `${ORG}/models`,
    auth: 'session',
    admin: true,
    body: CreateModelSchema,
    status: 201,
    response: ModelViewSchema,
    alsoErrors: [409],
  }),
  getModel: route({
    method: 'GET',
    path: `${ORG}/models/{id}`,
    auth: 'session',
    status: 200,
    response: ModelViewSchema,
  }),
  updateModel: route({
    method: 'PATCH',
    path: `${ORG}/models/{id}`,
    auth: 'session',
    admin: true,
    body: UpdateModelSchema,
    status: 200,
    response: ModelViewSchema,
    alsoErrors: [409],
  }),
  deleteModel: route({
    method: 'DELETE',
    path: `${ORG}/models/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),

  // MCP servers
  listMcpServers: route({
    method: 'GET',
    path: `${ORG}/mcp-servers`,
    auth: 'session',
    query: PageQuerySchema,
    status: 200,
    response: pageOf(McpServerViewSchema),
  }),
  createMcpServer: route({
    method: 'POST',
    path: `${ORG}/mcp-servers`,
    auth: 'session',
    admin: true,
    body: CreateMcpServerSchema,
    status: 201,
    response: McpServerViewSchema,
    alsoErrors: [409],
  }),
  getMcpServer: route({
    method: 'GET',
    path: `${ORG}/mcp-servers/{id}`,
    auth: 'session',
    status: 200,
    response: McpServerViewSchema,
  }),
  updateMcpServer: route({
    method: 'PATCH',
    path: `${ORG}/mcp-servers/{id}`,
    auth: 'session',
    admin: true,
    body: UpdateMcpServerSchema,
    status: 200,
    response: McpServerViewSchema,
    alsoErrors: [409],
  }),
  deleteMcpServer: route({
    method: 'DELETE',
    path: `${ORG}/mcp-servers/{id}`,
    auth: 'session',
    admin: true,
    query: ForceQuerySchema,
    status: 204,
    response: null,
    alsoErrors: [409],
  }),
  refreshMcpServerTools: route({
    method: 'POST',
    path: `${ORG}/mcp-servers/{id}/refresh-tools`,
    auth: 'session',
    admin: true,
    status: 200,
    response: McpServerViewSchema,
    alsoErrors: [422],
  }),

  // Gateways: admins manage them; gateways call with their token
  createGatewayToken: route({
    method: 'POST',
    path: `${ORG}/gateway-tokens`,
    auth: 'session',
    admin: true,
    body: CreateGatewayTokenSchema,
    status: 201,
    response: GatewayTokenCreatedSchema,
    alsoErrors: [409],
  }),
  listGateways: route({
    method: 'GET',
    path: `${ORG}/gateways`,
    auth: 'session',
    admin: true,
    query: PageQuerySchema,
    status: 200,
    response: pageOf(GatewayViewSchema),
  }),
  deleteGateway: route({
    method: 'DELETE',
    path: `${ORG}/gateways/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  registerGateway: route({
    method: 'POST',
    path: `${V1}/gateway/register`,
    auth: 'gateway',
    body: GatewayRegisterSchema,
    status: 200,
    response: GatewayRegistrationSchema.extend(GatewayCredentialsSchema.shape),
    alsoErrors: [409],
  }),
  gatewayHeartbeat: route({
    method: 'POST',
    path: `${V1}/gateway/heartbeat`,
    auth: 'gateway',
    body: GatewayHeartbeatSchema,
    status: 200,
    response: z.object({ version: z.number() }),
  }),
  getGatewaySnapshot: route({
    method: 'GET',
    path: `${V1}/gateway/snapshot`,
    auth: 'gateway',
    status: 200,
    response: WireEnvelopeSchema,
  }),

  // Webhooks
  listWebhooks: route({
    method: 'GET',
    path: `${ORG}/webhooks`,
    auth: 'session',
    admin: true,
    query: PageQuerySchema,
    status: 200,
    response: pageOf(WebhookViewSchema),
  }),
  createWebhook: route({
    method: 'POST',
    path: `${ORG}/webhooks`,
    auth: 'session',
    admin: true,
    body: CreateWebhookSchema,
    status: 201,
    response: WebhookCreatedSchema,
  }),
  getWebhook: route({
    method: 'GET',
    path: `${ORG}/webhooks/{id}`,
    auth: 'session',
    admin: true,
    status: 200,
    response: WebhookViewSchema,
  }),
  deleteWebhook: route({
    method: 'DELETE',
    path: `${ORG}/webhooks/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  testWebhook: route({
    method: 'POST',
    path: `${ORG}/webhooks/{id}/test`,
    auth: 'session',
    admin: true,
    status: 202,
    response: z.object({ delivery: WebhookDeliveryViewSchema }),
  }),
  listWebhookDeliveries: route({
    method: 'GET',
    path: `${ORG}/webhooks/{id}/deliveries`,
    auth: 'session',
    admin: true,
    query: PageQuerySchema,
    status: 200,
    response: pageOf(WebhookDeliveryViewSchema),
  }),

  // Audit
  listAuditEvents: route({
    method: 'GET',
    path: `${ORG}/audit-events`,
    auth: 'session',
    admin: true,
    query: AuditQuerySchema,
    status: 200,
    response: pageOf(AuditEventViewSchema),
  }),
  verifyAuditEvents: route({
    method: 'GET',
    path: `${ORG}/audit-events/verify`,
    auth: 'session',
    admin: true,
    status: 200,
    response: AuditVerificationSchema,
  }),

  // Groups, grants, limits and settings
  listGroups: route({
    method: 'GET',
    path: `${ORG}/groups`,
    auth: 'session',
    query: PageQuerySchema,
    status: 200,
    response: pageOf(GroupViewSchema),
  }),
  createGroup: route({
    method: 'POST',
    path: `${ORG}/groups`,
    auth: 'session',
    admin: true,
    body: CreateGroupSchema,
    status: 201,
    response: GroupDetailViewSchema,
    alsoErrors: [409],
  }),
  getGroup: route({
    method: 'GET',
    path: `${ORG}/groups/{id}`,
    auth: 'session',
    status: 200,
    response: GroupDetailViewSchema,
  }),
  updateGroup: route({
    method: 'PATCH',
    path: `${ORG}/groups/{id}`,
    auth: 'session',
    admin: true,
    body: UpdateGroupSchema,
    status: 200,
    response: GroupDetailViewSchema,
    alsoErrors: [409],
  }),
  deleteGroup: route({
    method: 'DELETE',
    path: `${ORG}/groups/{id}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  addGroupMember: route({
    method: 'PUT',
    path: `${ORG}/groups/{id}/members/{userId}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  removeGroupMember: route({
    method: 'DELETE',
    path: `${ORG}/groups/{id}/members/{userId}`,
    auth: 'session',
    admin: true,
    status: 204,
    response: null,
  }),
  listUserGrants: userPolicy.listGrants,
  addUserGrant: userPolicy.addGrant,
  removeUserGrant: userPolicy.removeGrant,
  getUserLimits: userPolicy.getLimits,
  putUserLimits: userPolicy.putLimits,
  listGroupGrants: groupPolicy.listGrants,
  addGroupGrant: groupPolicy.addGrant,
  removeGroupGrant: groupPolicy.removeGrant,
  getGroupLimits: groupPolicy.getLimits,
  putGroupLimits: groupPolicy.putLimits,
  getOrgSettings: route({
    method: 'GET',
    path: `${ORG}/settings`,
    auth: 'session',
    admin: true,
    status: 200,
    response: OrgSettingsSchema,
  }),
  updateOrgSettings: route({
    method: 'PATCH',
    path: `${ORG}/settings`,
    auth: 'session',
    admin: true,
    body: UpdateOrgSettingsSchema,
    status: 200,
    response: OrgSettingsSchema,
  }),

  // Operations (outside /api/v1)
  getHealth: route({ method: 'GET', path: '/healthz', auth: 'public', status: 200, response: HealthSchema }),
  getMetrics: route({
    method: 'GET',
    path: '/metrics',
    auth: 'public',
    status: 200,
    response: z.string(),
    text: true,
    alsoErrors: [404],
  }),
} as const satisfies Record<string, RouteSpec>;

export type ApiRoutes = typeof API_ROUTES;
export type OperationId = keyof ApiRoutes;

export interface NamedRoute extends RouteSpec {
  operationId: OperationId;
}

/** The table as a list, routes with fewer path parameters first (a literal segment wins over `{id}`). */
export const ROUTE_LIST: readonly NamedRoute[] = (Object.entries(API_ROUTES) as [OperationId, RouteSpec][])
  .map(([operationId, spec]) => ({ operationId, ...spec }))
  .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));

const patterns = new Map(
  ROUTE_LIST.map((r) => [r, new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`)] as const),
);

/** The route a request is for, from its method and URL path (`/api/v1/orgs/6d1…/keys`), if any. */
export function matchRoute(method: string, pathname: string): NamedRoute | undefined {
  const upper = method.toUpperCase();
  return ROUTE_LIST.find((r) => r.method === upper && patterns.get(r)?.test(pathname));
}
