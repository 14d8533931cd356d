import { answerProblem } from '@portcullis/shared/api/check';
import { type ApiClient, createApiClient } from '@portcullis/shared/api/client';
import { API_ROUTES, matchRoute, type OperationId } from '@portcullis/shared/api/routes';
import { type FakeUpstream, startFakeUpstream } from '@portcullis/testing/fake-upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, unique } from './client';
import { BOOTSTRAP } from './global-setup';

/** A `fetch` that also holds each answer to the route table, exactly (a field no schema names fails too). */
const checkingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = new URL(String(input));
  const route = matchRoute(init?.method ?? 'GET', url.pathname);
  if (!route) throw new Error(`${init?.method} ${url.pathname} is not in the route table`);
  const text = await res.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  const problem = answerProblem(route, res.status, body);
  if (problem) throw new Error(`${route.operationId} → ${res.status}: ${problem}`);
  return res;
};

const called = new Set<string>();
/** A typed client acting with `token`, counting which operations the test reached. */
function clientAs(token: () => string | undefined): ApiClient {
  const client = createApiClient({
    baseUrl: baseUrl(),
    fetch: checkingFetch,
    headers: (): Record<string, string> => {
      const t = token();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
  });
  return new Proxy(client, {
    get(target, name: OperationId) {
      called.add(name);
      return target[name];
    },
  });
}

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.close());

describe('every operation through the typed client', () => {
  it('answers what the route table documents', async () => {
    let rootToken: string | undefined;
    const root = clientAs(() => rootToken);
    const health = await root.getHealth();
    expect(health.status).toBe('ok');
    expect(await root.getMetrics()).toContain('# TYPE');

    const signedIn = await root.login({ body: { email: BOOTSTRAP.email, password: BOOTSTRAP.password } });
    rootToken = signedIn.token;
    expect((await root.getMe()).user.email).toBe(BOOTSTRAP.email);
    expect((await root.listSessions()).data.some((s) => s.current)).toBe(true);
    const org = (await root.createOrg({ body: { name: unique('contract') } })).id;
    expect((await root.listOrgs()).data.map((o) => o.id)).toContain(org);
    expect((await root.getOrg({ org })).role).toBe('admin');

    // People: a member joins by invitation; another invitation is withdrawn.
    const email = `${unique('member')}@example.test`;
    const invited = await root.createInvitation({ org, body: { email, role: 'member' } });
    const token = invited.acceptUrl?.split('/').pop() ?? '';
    expect((await root.getInvitation({ token })).invitation.email).toBe(email);
    const anonymous = clientAs(() => undefined);
    const joined = await anonymous.acceptInvitation({
      token,
      body: { name: 'Member', password: 'member-password-1' },
    });
    const memberId = joined.user.id;
    let memberToken = joined.token ?? undefined;
    const member = clientAs(() => memberToken);
    const withdrawn = await root.createInvitation({
      org,
      body: { email: `${unique('x')}@example.test`, role: 'member' },
    });
    await root.revokeInvitation({ org, id: withdrawn.invitation.id });
    expect((await root.listUsers({ org, query: { status: 'active' } })).data.length).toBeGreaterThan(0);
    expect((await root.getUser({ org, id: memberId })).keys.data).toEqual([]);
    expect((await root.updateUser({ org, id: memberId, body: { name: 'Renamed' } })).name).toBe('Renamed');
    expect((await root.suspendUser({ org, id: memberId })).status).toBe('suspended');
    expect((await root.reactivateUser({ org, id: memberId })).status).toBe('active');

    // Catalog: a credential, a model, an MCP server.
    const credential = await root.createProviderCredential({
      org,
      body: {
        name: unique('cred'),
        provider: 'openai_compatible',
        secret: 'sk-contract-0123456789',
        config: { baseUrl: `${fake.url}/v1` },
      },
    });
    expect((await root.listProviderCredentials({ org })).data).toHaveLength(1);
    expect((await root.getProviderCredential({ org, id: credential.id })).id).toBe(credential.id);
    await root.updateProviderCredential({ org, id: credential.id, body: { name: unique('cred') } });
    const slug = unique('model').toLowerCase();
    const model = await root.createModel({
      org,
      body: {
        slug,
        credentialId: credential.id,
        upstreamModel: 'gpt-4o-mini',
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
      },
    });
    expect((await root.listModels({ org })).data).toHaveLength(1);
    expect((await root.getModel({ org, id: model.id })).slug).toBe(slug);
    await root.updateModel({ org, id: model.id, body: { outputPricePerMTok: 3 } });
    const mcp = await root.createMcpServer({ org, body: { name: unique('mcp'), url: `${fake.url}/mcp` } });
    expect((await root.listMcpServers({ org })).data).toHaveLength(1);
    expect((await root.getMcpServer({ org, id: mcp.id })).name).toBe(mcp.name);
    await root.updateMcpServer({ org, id: mcp.id, body: { description: 'tools' } });
    expect((await root.refreshMcpServerTools({ org, id: mcp.id })).tools.length).toBeGreaterThan(0);

    // Grants, limits, groups, settings.
    await root.addUserGrant({ org, id: memberId, body: { model: slug } });
    expect((await member.listUserGrants({ org, id: memberId })).data.map((g) => g.model)).toEqual([slug]);
    await root.putUserLimits({
      org,
      id: memberId,
      body: { requestsPerMinute: 60, budgets: [{ limitUsd: 5, period: 'monthly', alertThresholds: [80] }] },
    });
    expect((await member.getUserLimits({ org, id: memberId })).requestsPerMinute).toBe(60);
    await root.removeUserGrant({ org, id: memberId, model: slug });
    const group = await root.createGroup({ org, body: { name: unique('group') } });
    expect((await root.listGroups({ org })).data).toHaveLength(1);
    await root.updateGroup({ org, id: group.id, body: { name: unique('group') } });
    await root.addGroupMember({ org, id: group.id, userId: memberId });
    await root.addGroupGrant({ org, id: group.id, body: { model: slug } });
    expect((await root.listGroupGrants({ org, id: group.id })).data).toHaveLength(1);
    await root.putGroupLimits({ org, id: group.id, body: { tokensPerMinute: 1000 } });
    expect((await root.getGroupLimits({ org, id: group.id })).tokensPerMinute).toBe(1000);
    expect((await root.getGroup({ org, id: group.id })).members.map((m) => m.id)).toEqual([memberId]);
    await root.removeGroupGrant({ org, id: group.id, model: slug });
    await root.removeGroupMember({ org, id: group.id, userId: memberId });
    await root.deleteGroup({ org, id: group.id });
    expect((await root.getOrgSettings({ org })).modelAccessWithoutGrants).toBe('none');
    await root.updateOrgSettings({ org, body: { modelAccessWithoutGrants: 'all' } });

    // Keys: the member's own, through its whole life.
    const created = await member.createKey({ org, body: { name: unique('key'), expiresIn: '30d' } });
    const id = created.key.id;
    expect((await member.listKeys({ org, query: { sort: 'name' } })).data.map((k) => k.id)).toEqual([id]);
    expect((await member.getKey({ org, id })).effective.models.all).toBe(true);
    await member.updateKey({ org, id, body: { metadata: { team: 'contract' } } });
    expect((await member.rotateKey({ org, id })).secret).not.toBe(created.secret);
    expect((await member.createEphemeralToken({ org, id })).keyId).toBe(id);
    expect((await member.deactivateKey({ org, id })).status).toBe('inactive');
    expect((await member.activateKey({ org, id })).status).toBe('active');
    expect((await member.listKeyRequests({ org, id })).data).toEqual([]);
    expect((await member.getUsage({ org, query: { bucket: 'day' } })).bucket).toBe('day');
    expect((await member.revokeKey({ org, id })).status).toBe('revoked');
    await member.deleteKey({ org, id });

    // Webhooks and the audit trail.
    const hook = await root.createWebhook({ org, body: { url: `${fake.url}/hook` } });
    expect((await root.listWebhooks({ org })).data).toHaveLength(1);
    expect((await root.getWebhook({ org, id: hook.webhook.id })).url).toBe(`${fake.url}/hook`);
    expect((await root.testWebhook({ org, id: hook.webhook.id })).delivery.type).toBe('webhook.test');
    expect((await root.listWebhookDeliveries({ org, id: hook.webhook.id })).data).toHaveLength(1);
    await root.deleteWebhook({ org, id: hook.webhook.id });
    expect((await root.listAuditEvents({ org, query: { action: 'key.created' } })).data).toHaveLength(1);
    expect((await root.verifyAuditEvents({ org })).ok).toBe(true);

    // A gateway attaches with its token.
    const attached = await root.createGatewayToken({ org, body: { name: unique('gw') } });
    const gateway = clientAs(() => attached.token);
    expect((await gateway.registerGateway({ body: { instanceId: 'contract-1' } })).gateway.orgId).toBe(org);
    expect(
      (await gateway.gatewayHeartbeat({ body: { instanceId: 'contract-1', snapshotVersion: null } })).version,
    ).toBeGreaterThanOrEqual(0);
    expect((await gateway.getGatewaySnapshot()).orgId).toBe(org);
    expect((await root.listGateways({ org })).data.map((g) => g.id)).toEqual([attached.gateway.id]);
    await root.deleteGateway({ org, id: attached.gateway.id });

    // Tearing down, sessions last.
    await root.deleteMcpServer({ org, id: mcp.id, query: { force: 'true' } });
    await root.deleteModel({ org, id: model.id });
    await root.deleteProviderCredential({ org, id: credential.id, query: { force: 'true' } });
    await member.changePassword({
      body: { currentPassword: 'member-password-1', newPassword: 'member-password-2' },
    });
    memberToken = (await member.login({ body: { email, password: 'member-password-2' } })).token;
    await member.logoutEverywhere();
    memberToken = (await member.login({ body: { email, password: 'member-password-2' } })).token;
    await member.logout();
    expect((await root.endUserSessions({ org, id: memberId })).ended).toBe(0);
    await root.removeUser({ org, id: memberId });

    expect([...called].sort()).toEqual(Object.keys(API_ROUTES).sort());
  });
});
