import { describe, expect, it } from 'vitest';
import { api, createKey, newOrg } from './client';
import { withDb } from './db';

interface Verify {
  ok: boolean;
  checked: number;
  brokenAtSeq?: number;
  reason?: string;
}
interface Event {
  id: string;
  seq: number;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  sourceIp: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

/** Tampering needs the append-only trigger out of the way, as a superuser restoring a backup would. */
function tamper(sql: string, params: unknown[]): Promise<unknown> {
  return withDb(async (c) => {
    await c.query('BEGIN');
    await c.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
    await c.query(sql, params);
    await c.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
    await c.query('COMMIT');
  });
}

describe('audit trail', () => {
  it('records actor, action, target, time and source IP, and pages newest first', async () => {
    const { orgId, admin } = await newOrg();
    const { key } = await createKey(orgId, admin.token);
    await api('POST', `/api/v1/orgs/${orgId}/keys/${key.id}/deactivate`, {
      token: admin.token,
      headers: { 'x-forwarded-for': '192.0.2.44' },
    });
    const page1 = await api<{ data: Event[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?limit=2`,
      {
        token: admin.token,
      },
    );
    expect(page1.status).toBe(200);
    const latest = page1.body.data[0];
    expect(latest).toMatchObject({
      action: 'key.deactivated',
      actor: { type: 'user', id: admin.user.id },
      target: { type: 'api_key', id: key.id },
      sourceIp: '192.0.2.44',
    });
    expect(Math.abs(Date.parse(latest?.createdAt ?? '') - Date.now())).toBeLessThan(60_000);
    expect(latest?.before?.status).toBe('active');
    expect(latest?.after?.status).toBe('inactive');
    expect(page1.body.nextCursor).not.toBeNull();
    const page2 = await api<{ data: Event[] }>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?limit=2&cursor=${page1.body.nextCursor}`,
      {
        token: admin.token,
      },
    );
    const seqs = [...page1.body.data, ...page2.body.data].map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    const filtered = await api<{ data: Event[] }>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?action=key.created`,
      {
        token: admin.token,
      },
    );
    expect(filtered.body.data.map((e) => e.action)).toEqual(['key.created']);
  });

  it('rows cannot be updated or deleted through SQL while the trigger stands', async () => {
    const { orgId } = await newOrg();
    await expect(
      withDb((c) => c.query("UPDATE audit_events SET action = 'x' WHERE org_id = $1", [orgId])),
    ).rejects.toThrow(/append-only/);
    await expect(
      withDb((c) => c.query('DELETE FROM audit_events WHERE org_id = $1', [orgId])),
    ).rejects.toThrow(/append-only/);
  });

  it('verify passes on an intact chain and finds an edited row', async () => {
    const { orgId, admin } = await newOrg();
    for (let i = 0; i < 3; i++) await createKey(orgId, admin.token);
    const ok = await api<Verify>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, { token: admin.token });
    // org.created, invitation.created, member.joined, then three key.created
    expect(ok.body).toEqual({ ok: true, checked: 6 });
    await tamper(
      `UPDATE audit_events SET after = jsonb_set(after, '{name}', '"innocent"') WHERE org_id = $1 AND seq = 4`,
      [orgId],
    );
    const bad = await api<Verify>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, { token: admin.token });
    expect(bad.body).toMatchObject({ ok: false, brokenAtSeq: 4 });
  });

  it('verify finds a deleted row in the middle and at the end', async () => {
    const { orgId, admin } = await newOrg();
    for (let i = 0; i < 3; i++) await createKey(orgId, admin.token);
    await tamper('DELETE FROM audit_events WHERE org_id = $1 AND seq = 6', [orgId]);
    const tail = await api<Verify>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, {
      token: admin.token,
    });
    expect(tail.body).toMatchObject({ ok: false, checked: 5 });
    await tamper('DELETE FROM audit_events WHERE org_id = $1 AND seq = 2', [orgId]);
    const middle = await api<Verify>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, {
      token: admin.token,
    });
    expect(middle.body).toMatchObject({ ok: false, brokenAtSeq: 2 });
  });

  it('verify finds a row whose hash was recomputed to hide an edit (the next link breaks)', async () => {
    const { orgId, admin } = await newOrg();
    for (let i = 0; i < 2; i++) await createKey(orgId, admin.token);
    await tamper(
      "UPDATE audit_events SET action = 'key.nothing', hash = md5('forged') WHERE org_id = $1 AND seq = 4",
      [orgId],
    );
    const bad = await api<Verify>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, { token: admin.token });
    expect(bad.body.ok).toBe(false);
    expect(bad.body.brokenAtSeq).toBe(4);
  });
});
