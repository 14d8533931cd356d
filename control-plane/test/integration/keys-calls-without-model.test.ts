import { parseSnapshot } from '@portcullis/shared/snapshot';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, createKey, type ErrorBody, newOrgWithMember, type SignedIn, unique } from './client';

// allowCallsWithoutModel: a key's permission to make pass-through calls that name no model. Off by
// default; members may turn it off on their keys, never on (DESIGN: members tighten, never loosen).

interface Key {
  id: string;
  name: string;
  allowCallsWithoutModel: boolean;
}
interface AuditEvent {
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

let orgId: string;
let admin: SignedIn;
let member: SignedIn;
let gwToken: string;
const keysPath = () => `/api/v1/orgs/${orgId}/keys`;

beforeAll(async () => {
  ({ orgId, admin, member } = await newOrgWithMember());
  const gw = await api<{ token: string }>('POST', `/api/v1/orgs/${orgId}/gateway-tokens`, {
    token: admin.token,
    body: { name: unique('edge') },
  });
  gwToken = gw.body.token;
});

const patch = (token: string, id: string, body: unknown) =>
  api<Key & ErrorBody>('PATCH', `${keysPath()}/${id}`, { token, body });
const get = async (id: string) => (await api<Key>('GET', `${keysPath()}/${id}`, { token: admin.token })).body;

async function inSnapshot(id: string): Promise<boolean | undefined> {
  const res = await api<unknown>('GET', '/api/v1/gateway/snapshot', { token: gwToken });
  expect(res.status).toBe(200);
  return parseSnapshot(res.body).keys.find((k) => k.id === id)?.allowCallsWithoutModel;
}

async function audit(id: string): Promise<AuditEvent[]> {
  const res = await api<{ data: AuditEvent[] }>('GET', `/api/v1/orgs/${orgId}/audit-events?targetId=${id}`, {
    token: admin.token,
  });
  return res.body.data.reverse();
}

describe('allowCallsWithoutModel', () => {
  it('is off by default, in the key and in the snapshot', async () => {
    const { key } = await createKey(orgId, admin.token);
    expect((key as unknown as Key).allowCallsWithoutModel).toBe(false);
    expect((await get(key.id)).allowCallsWithoutModel).toBe(false);
    expect(await inSnapshot(key.id)).toBe(false);
  });

  it('an admin turns it on at creation or later, audited and carried to gateways', async () => {
    const created = await api<{ key: Key }>('POST', keysPath(), {
      token: admin.token,
      body: { name: unique('batch-jobs'), allowCallsWithoutModel: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.key.allowCallsWithoutModel).toBe(true);
    expect(await inSnapshot(created.body.key.id)).toBe(true);

    const { key } = await createKey(orgId, admin.token, { ownerId: member.user.id });
    const on = await patch(admin.token, key.id, { allowCallsWithoutModel: true });
    expect(on.status).toBe(200);
    expect(on.body.allowCallsWithoutModel).toBe(true);
    expect(await inSnapshot(key.id)).toBe(true);
    const updated = (await audit(key.id)).filter((e) => e.action === 'key.updated');
    expect(updated.at(-1)).toMatchObject({
      before: { allowCallsWithoutModel: false },
      after: { allowCallsWithoutModel: true },
    });
  });

  it('a member may not turn it on for their own key: 403 naming the field, nothing changed', async () => {
    const name = unique('sneaky');
    const create = await api<ErrorBody>('POST', keysPath(), {
      token: member.token,
      body: { name, allowCallsWithoutModel: true },
    });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    expect(create.body.error.message).toContain('allowCallsWithoutModel');
    expect(create.body.error.details).toEqual([
      { field: 'allowCallsWithoutModel', message: expect.any(String) },
    ]);
    const list = await api<{ data: Key[] }>('GET', `${keysPath()}?search=${name}`, { token: admin.token });
    expect(list.body.data).toHaveLength(0);

    const { key } = await createKey(orgId, member.token);
    const refused = await patch(member.token, key.id, { name: 'renamed', allowCallsWithoutModel: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details?.[0]?.field).toBe('allowCallsWithoutModel');
    const after = await get(key.id);
    expect(after).toMatchObject({ name: key.name, allowCallsWithoutModel: false });
    expect(await inSnapshot(key.id)).toBe(false);
  });

  it('a member may keep what an admin granted while saving other fields, and may turn it off, not back on', async () => {
    const { key } = await createKey(orgId, member.token);
    expect((await patch(admin.token, key.id, { allowCallsWithoutModel: true })).status).toBe(200);
    const kept = await patch(member.token, key.id, { name: 'still-on', allowCallsWithoutModel: true });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ name: 'still-on', allowCallsWithoutModel: true });
    const renamed = await patch(member.token, key.id, { name: 'untouched-flag' });
    expect(renamed.body.allowCallsWithoutModel).toBe(true);
    const off = await patch(member.token, key.id, { allowCallsWithoutModel: false });
    expect(off.status).toBe(200);
    expect(off.body.allowCallsWithoutModel).toBe(false);
    expect(await inSnapshot(key.id)).toBe(false);
    expect((await patch(member.token, key.id, { allowCallsWithoutModel: true })).status).toBe(403);
  });

  it('refuses anything but a boolean with 400 naming the field', async () => {
    const { key } = await createKey(orgId, admin.token);
    for (const value of ['yes', 1, null]) {
      const res = await patch(admin.token, key.id, { allowCallsWithoutModel: value });
      expect(res.status).toBe(400);
      expect(res.body.error.details?.map((d) => d.field)).toEqual(['allowCallsWithoutModel']);
    }
    expect((await get(key.id)).allowCallsWithoutModel).toBe(false);
  });
});
