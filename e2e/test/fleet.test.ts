import Anthropic from '@anthropic-ai/sdk';
import { parseSnapshot } from '@portcullis/shared/snapshot';
import { Fleet } from '@portcullis/testing/fleet';
import { chatAt } from '@portcullis/testing/gateway-calls';
import { eventually } from '@portcullis/testing/wait';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real processes: control plane, two gateways, a private Redis, Postgres, the fake upstream.
const fleet = new Fleet();

beforeAll(async () => {
  await fleet.start(2);
  for (const [slug, wire] of [
    ['gpt-4o-mini', 'openai'],
    ['text-embedding-3-small', 'openai'],
    ['claude-sonnet', 'anthropic'],
  ] as const)
    await fleet.addFakeModel(
      slug,
      { inputPricePerMTok: 1, outputPricePerMTok: 2 },
      { wire, upstreamModel: `${slug}-upstream` },
    );
  for (const g of fleet.gateways) await fleet.waitReady(g);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

const newKey = (body: Record<string, unknown> = {}) => fleet.addKey(body);

async function chatStatus(
  gatewayUrl: string,
  secret: string,
  model = 'gpt-4o-mini',
): Promise<{ status: number; code?: string }> {
  const a = await chatAt(gatewayUrl, secret, { model, messages: [{ role: 'user', content: 'hi' }] });
  return { status: a.status, code: a.code ?? undefined };
}

const onAllGateways = (fn: (url: string) => Promise<boolean>) => async () =>
  (await Promise.all(fleet.gateways.map((g) => fn(g.url)))).every(Boolean);

describe('official SDKs through both gateways', () => {
  it('OpenAI: a call and a streamed call, with Bearer auth', async () => {
    const { secret } = await newKey();
    for (const g of fleet.gateways) {
      await eventually(async () => (await chatStatus(g.url, secret)).status === 200);
      const client = new OpenAI({ apiKey: secret, baseURL: `${g.url}/v1`, maxRetries: 0 });
      const res = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.choices[0]?.message.content).toContain('word0');
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('word0 word1 word2 word3 word4 word5');
      const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
      expect(emb.data).toHaveLength(1);
    }
    // The upstream saw the organization's credential and the upstream model name, never the Portcullis key.
    const seen = fleet.upstream.requests.at(-1);
    expect(seen?.headers.authorization).toBe('Bearer sk-fake-upstream-secret-0001');
    expect(JSON.stringify(fleet.upstream.requests)).not.toContain(secret);
  });

  it('Anthropic: a call and a streamed call, with x-api-key (older SDKs, Claude Code) and Bearer', async () => {
    const { secret } = await newKey();
    for (const g of fleet.gateways) {
      await eventually(async () => (await chatStatus(g.url, secret)).status === 200);
      const client = new Anthropic({ apiKey: secret, baseURL: g.url, maxRetries: 0 });
      const res = await client.messages.create({
        model: 'claude-sonnet',
        max_tokens: 32,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.content[0]).toMatchObject({ type: 'text' });
      expect(fleet.upstream.requests.at(-1)?.headers['x-api-key']).toBe('sk-ant-fake-upstream-0002');
      const final = await client.messages
        .stream({ model: 'claude-sonnet', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] })
        .finalMessage();
      expect(final.usage.output_tokens).toBe(6);
      const bearer = new Anthropic({ authToken: secret, apiKey: null, baseURL: g.url, maxRetries: 0 });
      const viaBearer = await bearer.messages.create({
        model: 'claude-sonnet',
        max_tokens: 32,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(viaBearer.type).toBe('message');
    }
  });
});

describe('control-plane changes reach both gateways', () => {
  it('deactivate, activate, rotate, edit and revoke', async () => {
    const { id, secret } = await newKey();
    const path = `/orgs/${fleet.orgId}/keys/${id}`;
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).status === 200));

    await fleet.api('POST', `${path}/deactivate`);
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).code === 'key_inactive'));
    await fleet.api('POST', `${path}/activate`);
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).status === 200));

    await fleet.api('PATCH', path, { allowedModels: ['claude-sonnet'] });
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).code === 'model_not_allowed'));
    await fleet.api('PATCH', path, { allowedModels: [] });
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).status === 200));

    const rotated = await fleet.api<{ secret: string }>('POST', `${path}/rotate`);
    await eventually(
      onAllGateways(
        async (u) =>
          (await chatStatus(u, secret)).code === 'invalid_api_key' &&
          (await chatStatus(u, rotated.secret)).status === 200,
      ),
    );

    await fleet.api('POST', `${path}/revoke`);
    await eventually(
      onAllGateways(async (u) => (await chatStatus(u, rotated.secret)).code === 'key_revoked'),
    );
  });

  it('an expired key and a deleted key are refused everywhere', async () => {
    const deleted = await newKey();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, deleted.secret)).status === 200));
    await fleet.api('DELETE', `/orgs/${fleet.orgId}/keys/${deleted.id}`);
    await eventually(
      onAllGateways(async (u) => (await chatStatus(u, deleted.secret)).code === 'invalid_api_key'),
    );
  });
});

describe('gateway attachment', () => {
  it('lists both gateways with their snapshot version, no lag, online', async () => {
    await eventually(async () => {
      const list = await fleet.api<{ data: { name: string; lag: number | null; status: string }[] }>(
        'GET',
        `/orgs/${fleet.orgId}/gateways`,
      );
      return list.data.length === 2 && list.data.every((g) => g.status === 'online' && g.lag === 0);
    }, 15_000);
  });
});

describe('faults', () => {
  it('a gap in the deltas is detected and repaired from a full snapshot, never applied', async () => {
    const { secret } = await newKey();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).status === 200));
    const held = await fleet.waitReady(fleet.gateways[0]!);
    // A delta that skips versions (as if two were lost) and would revoke the key if applied blindly.
    const { Redis } = await import('ioredis');
    const pub = new Redis(fleet.redisPort, '127.0.0.1');
    const snapshot = parseSnapshot(
      (await fleet.call('GET', '/gateway/snapshot', { token: fleet.gateways[0]!.token })).body,
    );
    const record = snapshot.keys.find((k) => secret.includes(k.keyId));
    expect(record).toBeDefined();
    await pub.publish(
      `portcullis:snapshots:${fleet.orgId}`,
      JSON.stringify({
        kind: 'delta',
        orgId: fleet.orgId,
        fromVersion: held + 2,
        toVersion: held + 3,
        changes: [{ op: 'upsert_key', value: { ...record, status: 'revoked', secretHash: null } }],
      }),
    );
    pub.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    for (const g of fleet.gateways) {
      expect((await chatStatus(g.url, secret)).status).toBe(200);
      expect(await fleet.waitReady(g)).toBe(held);
    }
    // Real changes still arrive afterwards.
    const later = await newKey();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, later.secret)).status === 200));
  });

  it('Redis restarted mid-traffic: valid keys keep working; a key revoked during the outage is refused once Redis is back', async () => {
    const keep = await newKey();
    const doomed = await newKey();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, doomed.secret)).status === 200));
    await fleet.stopRedis();
    for (const g of fleet.gateways) expect((await chatStatus(g.url, keep.secret)).status).toBe(200);
    await fleet.api('POST', `/orgs/${fleet.orgId}/keys/${doomed.id}/revoke`);
    await fleet.startRedis();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, doomed.secret)).code === 'key_revoked'));
    for (const g of fleet.gateways) expect((await chatStatus(g.url, keep.secret)).status).toBe(200);
  });

  it('control plane stopped: gateways keep serving; a gateway restarted with control plane and Redis down serves from its disk cache', async () => {
    const { secret } = await newKey();
    await eventually(onAllGateways(async (u) => (await chatStatus(u, secret)).status === 200));
    await fleet.stopControlPlane();
    await fleet.stopRedis();
    for (const g of fleet.gateways) expect((await chatStatus(g.url, secret)).status).toBe(200);
    const g0 = fleet.gateways[0]!;
    await fleet.stopGateway(g0);
    await fleet.startGateway(g0);
    expect((await fetch(`${g0.url}/readyz`)).status).toBe(200);
    expect((await chatStatus(g0.url, secret)).status).toBe(200);

    // Without a cache it has nothing to serve from.
    const g1 = fleet.gateways[1]!;
    await fleet.stopGateway(g1);
    const { rmSync, mkdirSync } = await import('node:fs');
    rmSync(g1.stateDir, { recursive: true, force: true });
    mkdirSync(g1.stateDir);
    await fleet.startGateway(g1, false);
    const res = await fetch(`${g1.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('gateway_not_ready');

    await fleet.startRedis();
    await fleet.startControlPlane();
    await fleet.waitReady(g1, 20_000);
    expect((await chatStatus(g1.url, secret)).status).toBe(200);
  }, 90_000);
});
