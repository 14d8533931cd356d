import { Fleet } from '@portcullis/testing/fleet';
import { eventually } from '@portcullis/testing/wait';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The pass-through end to end: the control plane's key setting (allowCallsWithoutModel) reaches the
// gateway, the OpenAI SDK pointed at <gateway>/gateway/openai/v1 reaches the fake upstream's exact
// paths, and a call naming no model lands in the key's request history with no model.
const fleet = new Fleet();
const org = (p: string) => `/orgs/${fleet.orgId}${p}`;

interface RequestRow {
  requestId: string;
  status: number;
  model: string | null;
  route: string;
  method: string;
}

beforeAll(async () => {
  await fleet.start(1);
  const cred = await fleet.api<{ id: string }>('POST', org('/provider-credentials'), {
    name: 'fake-openai',
    provider: 'openai',
    secret: 'sk-fake-upstream-secret-0001',
    config: { baseUrl: `${fleet.upstream.url}/v1` },
  });
  await fleet.api('POST', org('/models'), {
    slug: 'mini',
    credentialId: cred.id,
    upstreamModel: 'gpt-4o-mini',
    inputPricePerMTok: 1,
    outputPricePerMTok: 2,
    enabled: true,
  });
  for (const g of fleet.gateways) await fleet.waitReady(g);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

const status = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
};

describe('pass-through through a real control plane and gateway', () => {
  it('calls naming no model follow the key’s allowCallsWithoutModel as an admin sets it', async () => {
    const g = fleet.gateways[0];
    if (!g) throw new Error('no gateway');
    const made = await fleet.addKey({
      name: 'batch jobs',
      allowCallsWithoutModel: true,
    });
    const client = new OpenAI({ apiKey: made.secret, baseURL: `${g.url}/gateway/openai/v1`, maxRetries: 0 });
    await eventually(async () => (await status(client.files.list())) === 200);

    const chat = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.choices).toHaveLength(1);
    expect(fleet.upstream.requests.at(-1)?.path).toBe('/v1/chat/completions');
    const file = await client.files.create({
      file: await toFile(Buffer.from('{"custom_id":"1"}\n'), 'batch.jsonl'),
      purpose: 'batch',
    });
    expect(fleet.upstream.requests.at(-1)?.path).toBe('/v1/files');

    await fleet.api('PATCH', org(`/keys/${made.id}`), { allowCallsWithoutModel: false });
    await eventually(async () => (await status(client.files.list())) === 403);
    await expect(client.files.delete(file.id)).rejects.toMatchObject({
      status: 403,
      error: { code: 'insufficient_scope' },
    });
    // Calls that name a model are unaffected.
    expect(await status(client.chat.completions.create({ model: 'mini', messages: [] }))).toBe(200);

    // Metered: the file upload is in the key's history as a request without a model, next to the
    // refusals and the chat call that came after it (events arrive in any order: wait for all three).
    const has = {
      upload: (r: RequestRow) => r.method === 'POST' && r.model === null && r.status === 200,
      refusal: (r: RequestRow) => r.model === null && r.status === 403,
      chat: (r: RequestRow) => r.model === 'mini' && r.status === 200,
    };
    let rows: RequestRow[] = [];
    await eventually(async () => {
      rows = (await fleet.api<{ data: RequestRow[] }>('GET', org(`/keys/${made.id}/requests?limit=200`)))
        .data;
      return Object.values(has).every((want) => rows.some(want));
    });
    for (const want of Object.values(has)) expect(rows.some(want)).toBe(true);
  }, 60_000);
});
