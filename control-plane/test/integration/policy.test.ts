/**
 * Groups, model access grants, per-user and per-group limits and budgets, the organization's settings
 * and the effective policy in the key view, against the real control plane: CRUD, validation (400
 * naming the field), isolation (another organization's objects are 404), roles (members may not
 * write), audit records and the snapshot changes the gateways receive.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createKey,
  type ErrorBody,
  newOrg,
  newOrgWithMember,
  type Page,
  type SignedIn,
  unique,
} from './client';
import { withDb } from './db';

let orgId = '';
let admin: SignedIn;
let member: SignedIn;
let other: { orgId: string; admin: SignedIn };
let modelSlug = '';

interface Group {
  id: string;
  name: string;
  memberCount: number;
  members?: { id: string }[];
  grants?: string[];
}
const v1 = (p: string) => `/api/v1/orgs/${orgId}${p}`;

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
  other = await newOrg();
  const cred = await api<{ id: string }>('POST', v1('/provider-credentials'), {
    token: admin.token,
    body: {
      name: unique('cred'),
      provider: 'openai_compatible',
      secret: 'sk-policy-test-secret-0123456789',
      config: { baseUrl: 'http://127.0.0.1:9/v1' },
    },
  });
  modelSlug = unique('model');
  const model = await api('POST', v1('/models'), {
    token: admin.token,
    body: {
      slug: modelSlug,
      credentialId: cred.body.id,
      upstreamModel: 'm',
      inputPricePerMTok: 1,
      outputPricePerMTok: 1,
    },
  });
  expect(model.status).toBe(201);
});

async function lastChanges(): Promise<{ op: string; value?: Record<string, unknown>; id?: string }[]> {
  return withDb(async (c) => {
    const r = await c.query(
      'SELECT changes FROM snapshot_outbox WHERE org_id = $1 ORDER BY to_version DESC LIMIT 1',
      [orgId],
    );
    return r.rows[0]?.changes ?? [];
  });
}

async function auditActions(targetId: string): Promise<string[]> {
  const res = await api<{ data: { action: string }[] }>(
    'GET',
    v1(`/audit-events?targetId=${targetId}&limit=200`),
    {
      token: admin.token,
    },
  );
  return res.body.data.map((e) => e.action);
}

describe('groups', () => {
  it('create, rename, members, delete; names unique per organization (409); every change audited and in the snapshot', async () => {
    const name = unique('Research');
    const created = await api<Group>('POST', v1('/groups'), { token: admin.token, body: { name } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, memberCount: 0, members: [], grants: [] });
    expect(await lastChanges()).toEqual([
      { op: 'upsert_group', value: expect.objectContaining({ id: created.body.id, name, grants: [] }) },
    ]);

    const dup = await api<ErrorBody>('POST', v1('/groups'), {
      token: admin.token,
      body: { name: name.toUpperCase() },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details?.[0]?.field).toBe('name');

    const id = created.body.id;
    expect(
      (await api('PUT', v1(`/groups/${id}/members/${member.user.id}`), { token: admin.token })).status,
    ).toBe(204);
    expect(await lastChanges()).toEqual([
      {
        op: 'upsert_user_policy',
        value: expect.objectContaining({ id: member.user.id, role: 'member', groupIds: [id] }),
      },
    ]);
    const renamed = await api<Group>('PATCH', v1(`/groups/${id}`), {
      token: admin.token,
      body: { name: `${name}-2` },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      name: `${name}-2`,
      memberCount: 1,
      members: [{ id: member.user.id }],
    });

    // A member sees the group they are in, and only those.
    const hidden = await api<Group>('POST', v1('/groups'), {
      token: admin.token,
      body: { name: unique('Hidden') },
    });
    const mine = await api<Page<Group>>('GET', v1('/groups'), { token: member.token });
    expect(mine.body.data.map((g) => g.id)).toEqual([id]);
    expect((await api('GET', v1(`/groups/${id}`), { token: member.token })).status).toBe(200);
    expect((await api('GET', v1(`/groups/${hidden.body.id}`), { token: member.token })).status).toBe(403);
    const all = await api<Page<Group>>('GET', v1('/groups'), { token: admin.token });
    expect(all.body.data.map((g) => g.id)).toEqual(expect.arrayContaining([id, hidden.body.id]));

    expect(
      (await api('DELETE', v1(`/groups/${id}/members/${member.user.id}`), { token: admin.token })).status,
    ).toBe(204);
    expect(
      (await api('DELETE', v1(`/groups/${id}/members/${member.user.id}`), { token: admin.token })).status,
    ).toBe(404);
    expect((await api('DELETE', v1(`/groups/${id}`), { token: admin.token })).status).toBe(204);
    expect((await api('GET', v1(`/groups/${id}`), { token: admin.token })).status).toBe(404);
    expect(await lastChanges()).toEqual([{ op: 'delete_group', id }]);
    expect(await auditActions(id)).toEqual(
      expect.arrayContaining([
        'group.created',
        'group.member_added',
        'group.updated',
        'group.member_removed',
        'group.deleted',
      ]),
    );
  });

  it('bad input names the field; a user of another organization cannot be added (404)', async () => {
    const empty = await api<ErrorBody>('POST', v1('/groups'), { token: admin.token, body: { name: '  ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details?.map((d) => d.field)).toEqual(['name']);
    const extra = await api<ErrorBody>('POST', v1('/groups'), {
      token: admin.token,
      body: { name: 'x', color: 1 },
    });
    expect(extra.status).toBe(400);
    const g = await api<Group>('POST', v1('/groups'), { token: admin.token, body: { name: unique('G') } });
    const stranger = await api<ErrorBody>('PUT', v1(`/groups/${g.body.id}/members/${other.admin.user.id}`), {
      token: admin.token,
    });
    expect(stranger.status).toBe(404);
    expect(
      (await api('PUT', v1(`/groups/${g.body.id}/members/not-a-uuid`), { token: admin.token })).status,
    ).toBe(404);
  });
});

describe('grants and limits', () => {
  it('grants on users: a model slug of the organization, else 400 naming `model`; revoke; audited; in the snapshot', async () => {
    const path = v1(`/users/${member.user.id}/grants`);
    const unknown = await api<ErrorBody>('POST', path, {
      token: admin.token,
      body: { model: 'no-such-model' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details?.map((d) => d.field)).toEqual(['model']);
    const malformed = await api<ErrorBody>('POST', path, { token: admin.token, body: { model: '' } });
    expect(malformed.status).toBe(400);
    expect([...new Set(malformed.body.error.details?.map((d) => d.field))]).toEqual(['model']);

    const granted = await api<{ model: string }>('POST', path, {
      token: admin.token,
      body: { model: modelSlug },
    });
    expect(granted.status).toBe(201);
    expect(granted.body.model).toBe(modelSlug);
    expect(await lastChanges()).toEqual([
      {
        op: 'upsert_user_policy',
        value: expect.objectContaining({ id: member.user.id, grants: [modelSlug] }),
      },
    ]);
    const listed = await api<{ data: { model: string }[] }>('GET', path, { token: member.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((g) => g.model)).toEqual([modelSlug]);

    const revoke = await api('DELETE', `${path}/${encodeURIComponent(modelSlug)}`, { token: admin.token });
    expect(revoke.status).toBe(204);
    expect(
      (await api('DELETE', `${path}/${encodeURIComponent(modelSlug)}`, { token: admin.token })).status,
    ).toBe(404);
    expect(await auditActions(member.user.id)).toEqual(
      expect.arrayContaining(['user.grant_added', 'user.grant_removed']),
    );
  });

  it('PUT limits replaces the policy (null = no limit), validates each field, and the key view shows the effective values and their rules', async () => {
    const group = await api<Group>('POST', v1('/groups'), {
      token: admin.token,
      body: { name: unique('Tight') },
    });
    await api('PUT', v1(`/groups/${group.body.id}/members/${member.user.id}`), { token: admin.token });

    const bad = await api<ErrorBody>('PUT', v1(`/users/${member.user.id}/limits`), {
      token: admin.token,
      body: { requestsPerMinute: -1, budgets: [{ limitUsd: 5, period: 'yearly' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field).sort()).toEqual([
      'budgets.0.period',
      'requestsPerMinute',
    ]);

    const userLimits = await api<Record<string, unknown>>('PUT', v1(`/users/${member.user.id}/limits`), {
      token: admin.token,
      body: {
        requestsPerMinute: 10,
        tokensPerMinute: 1000,
        budgets: [{ limitUsd: 5, period: 'daily', alertThresholds: [100, 50] }],
      },
    });
    expect(userLimits.status).toBe(200);
    expect(userLimits.body).toEqual({
      requestsPerMinute: 10,
      tokensPerMinute: 1000,
      inputTokensPerMinute: null,
      outputTokensPerMinute: null,
      concurrentRequests: null,
      budgets: [{ limitUsd: 5, period: 'daily', alertThresholds: [50, 100] }],
    });
    const groupLimits = await api('PUT', v1(`/groups/${group.body.id}/limits`), {
      token: admin.token,
      body: { requestsPerMinute: 3, budgets: [{ limitUsd: 20, period: 'monthly' }] },
    });
    expect(groupLimits.status).toBe(200);
    expect(await lastChanges()).toEqual([
      {
        op: 'upsert_group',
        value: expect.objectContaining({
          id: group.body.id,
          limits: expect.objectContaining({ requestsPerMinute: 3 }),
        }),
      },
    ]);
    // The member reads their own limits and their group's; not another member's.
    expect((await api('GET', v1(`/users/${member.user.id}/limits`), { token: member.token })).status).toBe(
      200,
    );
    expect((await api('GET', v1(`/groups/${group.body.id}/limits`), { token: member.token })).status).toBe(
      200,
    );
    expect((await api('GET', v1(`/users/${admin.user.id}/limits`), { token: member.token })).status).toBe(
      403,
    );

    const made = await createKey(orgId, member.token, {
      limits: { requestsPerMinute: 100, concurrentRequests: 2 },
    });
    const key = await api<{
      limits: Record<string, unknown>;
      effective: {
        limits: Record<string, { value: number | null; source: { type: string; id: string } | null }>;
        models: { all: boolean; allowed: string[]; basis: string };
        budgets: { scope: { type: string; id: string }; limitUsd: number; period: string }[];
      };
    }>('GET', v1(`/keys/${made.key.id}`), { token: member.token });
    expect(key.status).toBe(200);
    expect(key.body.limits.requestsPerMinute).toBe(100);
    expect(key.body.effective.limits.requestsPerMinute).toEqual({
      value: 3,
      source: { type: 'group', id: group.body.id, name: group.body.name },
    });
    expect(key.body.effective.limits.tokensPerMinute?.source?.type).toBe('user');
    expect(key.body.effective.limits.concurrentRequests?.source?.type).toBe('key');
    expect(key.body.effective.models).toMatchObject({ all: false, allowed: [], basis: 'no_grants_none' });
    expect(key.body.effective.budgets.map((b) => [b.scope.type, b.limitUsd, b.period])).toEqual([
      ['user', 5, 'daily'],
      ['group', 20, 'monthly'],
    ]);
    // The key's own upsert carries its owner's policy, so a gateway always knows who owns a key.
    expect((await lastChanges()).map((c) => c.op)).toEqual(['upsert_key', 'upsert_user_policy']);
  });

  it('organization settings: admins only, validated, audited, in the snapshot', async () => {
    expect((await api('GET', v1('/settings'), { token: admin.token })).body).toEqual({
      modelAccessWithoutGrants: 'none',
      defaultMcpPolicy: { mode: 'all', servers: [] },
    });
    const bad = await api<ErrorBody>('PATCH', v1('/settings'), {
      token: admin.token,
      body: { modelAccessWithoutGrants: 'some' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.field)).toEqual(['modelAccessWithoutGrants']);
    expect(
      (
        await api('PATCH', v1('/settings'), {
          token: member.token,
          body: { modelAccessWithoutGrants: 'all' },
        })
      ).status,
    ).toBe(403);
    const ok = await api('PATCH', v1('/settings'), {
      token: admin.token,
      body: { modelAccessWithoutGrants: 'all' },
    });
    const settings = { modelAccessWithoutGrants: 'all', defaultMcpPolicy: { mode: 'all', servers: [] } };
    expect(ok.body).toEqual(settings);
    expect(await lastChanges()).toEqual([{ op: 'org_settings', value: settings }]);
    expect(await auditActions(orgId)).toContain('org.settings_updated');
    await api('PATCH', v1('/settings'), { token: admin.token, body: { modelAccessWithoutGrants: 'none' } });
  });
});

describe('roles and isolation', () => {
  it('members get 403 on every write; another organization gets 404 on everything', async () => {
    const g = await api<Group>('POST', v1('/groups'), {
      token: admin.token,
      body: { name: unique('Roles') },
    });
    const gid = g.body.id;
    const uid = member.user.id;
    const writes: [string, string, unknown?][] = [
      ['POST', '/groups', { name: 'x' }],
      ['PATCH', `/groups/${gid}`, { name: 'y' }],
      ['DELETE', `/groups/${gid}`],
      ['PUT', `/groups/${gid}/members/${uid}`],
      ['DELETE', `/groups/${gid}/members/${uid}`],
      ['POST', `/users/${uid}/grants`, { model: modelSlug }],
      ['DELETE', `/users/${uid}/grants/${modelSlug}`],
      ['PUT', `/users/${uid}/limits`, { requestsPerMinute: 1 }],
      ['POST', `/groups/${gid}/grants`, { model: modelSlug }],
      ['DELETE', `/groups/${gid}/grants/${modelSlug}`],
      ['PUT', `/groups/${gid}/limits`, { requestsPerMinute: 1 }],
      ['PATCH', '/settings', { modelAccessWithoutGrants: 'all' }],
    ];
    const reads: string[] = [
      '/groups',
      `/groups/${gid}`,
      `/users/${uid}/grants`,
      `/users/${uid}/limits`,
      `/groups/${gid}/grants`,
      `/groups/${gid}/limits`,
      '/settings',
    ];
    for (const [method, path, body] of writes) {
      const res = await api<ErrorBody>(method, v1(path), { token: member.token, body });
      expect(res.status, `${method} ${path} as member`).toBe(403);
    }
    for (const [method, path, body] of [...writes, ...reads.map((p) => ['GET', p] as [string, string])]) {
      const res = await api(method, v1(path), { token: other.admin.token, body });
      expect(res.status, `${method} ${path} as another org's admin`).toBe(404);
      const anon = await api(method, v1(path), { body });
      expect(anon.status, `${method} ${path} anonymous`).toBe(401);
    }
    // Another organization's group id under one's own organization is 404 too.
    const theirs = await api<Group>('POST', `/api/v1/orgs/${other.orgId}/groups`, {
      token: other.admin.token,
      body: { name: unique('Theirs') },
    });
    expect((await api('GET', v1(`/groups/${theirs.body.id}`), { token: admin.token })).status).toBe(404);
    expect((await api('GET', v1(`/groups/${theirs.body.id}/limits`), { token: admin.token })).status).toBe(
      404,
    );
    expect(
      (
        await api('POST', v1(`/groups/${theirs.body.id}/grants`), {
          token: admin.token,
          body: { model: modelSlug },
        })
      ).status,
    ).toBe(404);
  });
});
