import { execFileSync } from 'node:child_process';
import { open, parseKey32 } from '@portcullis/shared/crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  api,
  type ErrorBody,
  logThrough,
  newOrg,
  type Page,
  type SignedIn,
  seenBodies,
  unique,
} from './client';
import { withDb } from './db';
import { TEST_MASTER_KEY } from './global-setup';

interface Credential {
  id: string;
  name: string;
  provider: string;
  secretPreview: string;
  config: Record<string, string>;
  usedBy: { type: string; id: string; slug: string }[];
  createdAt: string;
  updatedAt: string;
}
interface Model {
  id: string;
  slug: string;
  credentialId: string;
  credential: { id: string; name: string; provider: string };
  upstreamModel: string;
  inputPricePerMTok: number;
  outputPricePerMTok: number;
  enabled: boolean;
}

let orgId: string;
let admin: SignedIn;
const creds = () => `/api/v1/orgs/${orgId}/provider-credentials`;
const models = () => `/api/v1/orgs/${orgId}/models`;

async function createCredential(body: Record<string, unknown> = {}): Promise<Credential> {
  const res = await api<Credential>('POST', creds(), {
    token: admin.token,
    body: {
      name: unique('cred'),
      provider: 'openai_compatible',
      secret: `sk-${unique('secret')}-0123456789abcdef`,
      config: { baseUrl: 'http://127.0.0.1:9/v1' },
      ...body,
    },
  });
  if (res.status !== 201) throw new Error(`credential create failed: ${res.status} ${res.text}`);
  return res.body;
}

async function createModel(credentialId: string, body: Record<string, unknown> = {}): Promise<Model> {
  const res = await api<Model>('POST', models(), {
    token: admin.token,
    body: {
      slug: unique('model'),
      credentialId,
      upstreamModel: 'gpt-4o-mini',
      inputPricePerMTok: 0.15,
      outputPricePerMTok: 0.6,
      ...body,
    },
  });
  if (res.status !== 201) throw new Error(`model create failed: ${res.status} ${res.text}`);
  return res.body;
}

const fields = (res: { body: unknown }) => ((res.body as ErrorBody).error?.details ?? []).map((d) => d.field);

beforeAll(async () => {
  ({ orgId, admin } = await newOrg());
});

describe('provider credentials', () => {
  it('create, list, get, edit, delete: the secret is masked everywhere and sealed at rest', async () => {
    seenBodies.length = 0;
    const secret = `sk-proj-${'Zq9'.repeat(12)}WXYZ`;
    const created = await createCredential({
      name: 'openai-production',
      provider: 'openai',
      secret,
      config: { baseUrl: 'https://api.openai.com/v1', projectId: 'proj_1' },
    });
    expect(created).toMatchObject({
      name: 'openai-production',
      provider: 'openai',
      secretPreview: 'sk-…WXYZ',
      config: { baseUrl: 'https://api.openai.com/v1', projectId: 'proj_1' },
      usedBy: [],
    });
    expect(Object.keys(created).sort()).toEqual(
      ['config', 'createdAt', 'id', 'name', 'provider', 'secretPreview', 'updatedAt', 'usedBy'].sort(),
    );

    const listed = await api<Page<Credential>>('GET', creds(), { token: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((c) => c.id)).toContain(created.id);
    const got = await api<Credential>('GET', `${creds()}/${created.id}`, { token: admin.token });
    expect(got.body).toEqual(created);

    const renamed = await api<Credential>('PATCH', `${creds()}/${created.id}`, {
      token: admin.token,
      body: { name: 'openai-prod', config: { baseUrl: 'https://eu.api.openai.com/v1' } },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      name: 'openai-prod',
      secretPreview: 'sk-…WXYZ',
      config: { baseUrl: 'https://eu.api.openai.com/v1' }, // replaced, not merged
    });
    const newSecret = `sk-ant-${'Kp7'.repeat(12)}LMNO`;
    const rotated = await api<Credential>('PATCH', `${creds()}/${created.id}`, {
      token: admin.token,
      body: { secret: newSecret },
    });
    expect(rotated.body.secretPreview).toBe('sk-…LMNO');
    const last = await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });

    // The plaintext never comes back, in any body (the previews hold at most 7 characters).
    const middle = (s: string) => s.slice(3, -4);
    expect(seenBodies.filter((b) => b.includes(middle(secret)))).toEqual([]);
    expect(seenBodies.filter((b) => b.includes(middle(newSecret)))).toEqual([]);

    // At rest: ciphertext that opens with the master key and this credential's id, nothing else.
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', inject('databaseUrl')], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(dump).toContain(created.id);
    expect(dump).not.toContain(middle(secret));
    expect(dump).not.toContain(middle(newSecret));
    const sealed = await withDb(
      async (c) =>
        (await c.query('SELECT secret_sealed FROM provider_credentials WHERE id = $1', [created.id])).rows[0]
          .secret_sealed as string,
    );
    const master = parseKey32(TEST_MASTER_KEY) as Buffer;
    expect(sealed).toMatch(/^v1\./);
    expect(open(master, sealed, created.id)).toBe(newSecret);
    expect(() => open(master, sealed, 'another-credential')).toThrow();

    const logs = await logThrough(last);
    expect(logs).not.toContain(middle(secret));
    expect(logs).not.toContain(middle(newSecret));

    const del = await api('DELETE', `${creds()}/${created.id}`, { token: admin.token });
    expect(del.status).toBe(204);
    expect((await api('GET', `${creds()}/${created.id}`, { token: admin.token })).status).toBe(404);
  });

  it('audits every mutation without the secret', async () => {
    const c = await createCredential({ secret: 'sk-audit-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0001' });
    await api('PATCH', `${creds()}/${c.id}`, {
      token: admin.token,
      body: { secret: 'sk-audit-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0002' },
    });
    await api('DELETE', `${creds()}/${c.id}`, { token: admin.token });
    const audit = await api<Page<{ action: string; target: { id: string } }>>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?targetId=${c.id}`,
      { token: admin.token },
    );
    expect(audit.body.data.map((e) => e.action)).toEqual([
      'provider_credential.deleted',
      'provider_credential.updated',
      'provider_credential.created',
    ]);
    expect(audit.text).not.toContain('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const verify = await api<{ ok: boolean }>('GET', `/api/v1/orgs/${orgId}/audit-events/verify`, {
      token: admin.token,
    });
    expect(verify.body.ok).toBe(true);
  });

  it('per-provider config: azure needs endpoint and apiVersion; gemini defaults its endpoint', async () => {
    const azure = await api<ErrorBody>('POST', creds(), {
      token: admin.token,
      body: { name: unique('az'), provider: 'azure_openai', secret: 'x'.repeat(32), config: {} },
    });
    expect(azure.status).toBe(400);
    expect(fields(azure)).toEqual(expect.arrayContaining(['config.endpoint', 'config.apiVersion']));
    const okAzure = await createCredential({
      provider: 'azure_openai',
      config: { endpoint: 'https://my-res.openai.azure.com', apiVersion: '2024-10-21', deployment: 'gpt4o' },
    });
    expect(okAzure.config).toEqual({
      endpoint: 'https://my-res.openai.azure.com',
      apiVersion: '2024-10-21',
      deployment: 'gpt4o',
    });
    const gemini = await createCredential({ provider: 'gemini', config: undefined });
    expect(gemini.config.baseUrl).toBe('https://generativelanguage.googleapis.com/v1beta/openai');
    const anthropic = await createCredential({ provider: 'anthropic', config: {} });
    expect(anthropic.config).toEqual({});
    // PATCH config is checked against the credential's own provider.
    const bad = await api<ErrorBody>('PATCH', `${creds()}/${okAzure.id}`, {
      token: admin.token,
      body: { config: { baseUrl: 'https://x.example.com' } },
    });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(expect.arrayContaining(['config.baseUrl', 'config.endpoint']));
  });

  it('duplicate names are 409 naming the field', async () => {
    const c = await createCredential();
    const dup = await api<ErrorBody>('POST', creds(), {
      token: admin.token,
      body: { name: c.name, provider: 'anthropic', secret: 'sk-ant-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' },
    });
    expect(dup.status).toBe(409);
    expect(fields(dup)).toEqual(['name']);
  });

  it('usedBy lists dependent models; delete is 409 until forced, and force deletes the models', async () => {
    const c = await createCredential();
    const m1 = await createModel(c.id, { slug: unique('a-model') });
    const m2 = await createModel(c.id, { slug: unique('b-model') });
    const got = await api<Credential>('GET', `${creds()}/${c.id}`, { token: admin.token });
    expect(got.body.usedBy).toEqual([
      { type: 'model', id: m1.id, slug: m1.slug },
      { type: 'model', id: m2.id, slug: m2.slug },
    ]);
    const refused = await api<ErrorBody>('DELETE', `${creds()}/${c.id}`, { token: admin.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect(refused.body.error.message).toContain(m1.slug);
    expect(refused.body.error.details?.map((d) => d.message).join(' ')).toContain(m2.id);
    expect((await api('GET', `${models()}/${m1.id}`, { token: admin.token })).status).toBe(200);

    const badForce = await api('DELETE', `${creds()}/${c.id}?force=yes`, { token: admin.token });
    expect(badForce.status).toBe(400);
    const forced = await api('DELETE', `${creds()}/${c.id}?force=true`, { token: admin.token });
    expect(forced.status).toBe(204);
    expect((await api('GET', `${models()}/${m1.id}`, { token: admin.token })).status).toBe(404);
    expect((await api('GET', `${models()}/${m2.id}`, { token: admin.token })).status).toBe(404);
  });

  it('paginates by name', async () => {
    const { orgId: o, admin: a } = await newOrg();
    for (const n of ['c3', 'c1', 'c2']) {
      await api('POST', `/api/v1/orgs/${o}/provider-credentials`, {
        token: a.token,
        body: { name: n, provider: 'anthropic', secret: 'sk-ant-0123456789abcdefghijklmnopqrstu' },
      });
    }
    const p1 = await api<Page<Credential>>('GET', `/api/v1/orgs/${o}/provider-credentials?limit=2`, {
      token: a.token,
    });
    expect(p1.body.data.map((c) => c.name)).toEqual(['c1', 'c2']);
    const p2 = await api<Page<Credential>>(
      'GET',
      `/api/v1/orgs/${o}/provider-credentials?limit=2&cursor=${p1.body.nextCursor}`,
      { token: a.token },
    );
    expect(p2.body.data.map((c) => c.name)).toEqual(['c3']);
    expect(p2.body.nextCursor).toBeNull();
  });
});

describe('SSRF guard on base URLs', () => {
  const refused = [
    'http://10.0.0.1/v1',
    'http://172.16.5.4/',
    'http://192.168.1.10:8080/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://0.0.0.0:80/',
    'http://224.0.0.1/',
    'http://127.0.0.2/',
    'http://2130706434/', // 127.0.0.2 in decimal
    'http://0177.0.0.2/', // octal
    'http://0x7f.2/', // hex, short form
    'http://[::1]/',
    'http://[::ffff:127.0.0.2]/',
    'http://[::ffff:a9fe:a9fe]/', // 169.254.169.254, IPv4-mapped
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://api.localhost/',
    'http://metadata.google.internal/',
    'ftp://api.example.com/',
    'file:///etc/passwd',
    'https://user:pw@api.example.com/',
  ];

  it.each(refused)('refuses %s with 400 naming config.baseUrl', async (url) => {
    const res = await api<ErrorBody>('POST', creds(), {
      token: admin.token,
      body: { name: unique('ssrf'), provider: 'openai_compatible', secret: 'sk-x', config: { baseUrl: url } },
    });
    expect(res.status, res.text).toBe(400);
    expect(fields(res)).toEqual(['config.baseUrl']);
  });

  it('checks the azure endpoint too, and PATCH as well as POST', async () => {
    const azure = await api<ErrorBody>('POST', creds(), {
      token: admin.token,
      body: {
        name: unique('az'),
        provider: 'azure_openai',
        secret: 'sk-x',
        config: { endpoint: 'http://10.1.1.1/', apiVersion: '2024-10-21' },
      },
    });
    expect(azure.status).toBe(400);
    expect(fields(azure)).toEqual(['config.endpoint']);
    const c = await createCredential();
    const patch = await api<ErrorBody>('PATCH', `${creds()}/${c.id}`, {
      token: admin.token,
      body: { config: { baseUrl: 'http://0x7f000002/' } },
    });
    expect(patch.status).toBe(400);
    expect(fields(patch)).toEqual(['config.baseUrl']);
  });

  it.each([
    'http://127.0.0.1:4010/v1',
    'http://localhost:4010/v1',
    'http://2130706433:4010/', // 127.0.0.1, allowlisted whatever its spelling
    'https://api.example.com/v1',
  ])('accepts %s (allowlisted loopback or public)', async (url) => {
    const c = await createCredential({ config: { baseUrl: url } });
    expect(c.config.baseUrl).toBe(url);
  });
});

describe('models', () => {
  it('create, list, get, edit, delete', async () => {
    const c = await createCredential();
    const other = await createCredential();
    const m = await createModel(c.id, {
      slug: 'gpt-4o-mini',
      inputPricePerMTok: 0.15,
      outputPricePerMTok: 0.6,
    });
    expect(m).toMatchObject({
      slug: 'gpt-4o-mini',
      credentialId: c.id,
      credential: { id: c.id, name: c.name, provider: 'openai_compatible' },
      upstreamModel: 'gpt-4o-mini',
      inputPricePerMTok: 0.15,
      outputPricePerMTok: 0.6,
      enabled: true,
    });
    const list = await api<Page<Model>>('GET', models(), { token: admin.token });
    expect(list.body.data.map((x) => x.id)).toContain(m.id);
    const patched = await api<Model>('PATCH', `${models()}/${m.id}`, {
      token: admin.token,
      body: { enabled: false, credentialId: other.id, outputPricePerMTok: 0 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, credentialId: other.id, outputPricePerMTok: 0 });
    const dup = await api<ErrorBody>('POST', models(), {
      token: admin.token,
      body: {
        slug: 'gpt-4o-mini',
        credentialId: c.id,
        upstreamModel: 'x',
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
      },
    });
    expect(dup.status).toBe(409);
    expect(fields(dup)).toEqual(['slug']);
    expect((await api('DELETE', `${models()}/${m.id}`, { token: admin.token })).status).toBe(204);
    expect((await api('GET', `${models()}/${m.id}`, { token: admin.token })).status).toBe(404);
    const audit = await api<Page<{ action: string }>>(
      'GET',
      `/api/v1/orgs/${orgId}/audit-events?targetId=${m.id}`,
      { token: admin.token },
    );
    expect(audit.body.data.map((e) => e.action)).toEqual(['model.deleted', 'model.updated', 'model.created']);
  });

  it('cache prices: absent is null (the provider default), set, edited and put back to null', async () => {
    const c = await createCredential();
    const m = await createModel(c.id, { inputPricePerMTok: 3, outputPricePerMTok: 15 });
    expect(m).toMatchObject({ cacheWritePricePerMTok: null, cacheReadPricePerMTok: null });
    const priced = await createModel(c.id, {
      inputPricePerMTok: 3,
      outputPricePerMTok: 15,
      cacheWritePricePerMTok: 3.75,
      cacheReadPricePerMTok: 0.3,
    });
    expect(priced).toMatchObject({ cacheWritePricePerMTok: 3.75, cacheReadPricePerMTok: 0.3 });
    const edited = await api<Model>('PATCH', `${models()}/${priced.id}`, {
      token: admin.token,
      body: { cacheReadPricePerMTok: 0.25 },
    });
    expect(edited.body).toMatchObject({ cacheWritePricePerMTok: 3.75, cacheReadPricePerMTok: 0.25 });
    const reset = await api<Model>('PATCH', `${models()}/${priced.id}`, {
      token: admin.token,
      body: { cacheWritePricePerMTok: null },
    });
    expect(reset.body).toMatchObject({ cacheWritePricePerMTok: null, cacheReadPricePerMTok: 0.25 });
    expect((await api<Model>('GET', `${models()}/${priced.id}`, { token: admin.token })).body).toMatchObject({
      cacheWritePricePerMTok: null,
      cacheReadPricePerMTok: 0.25,
    });
  });

  it("refuses another organization's credential, naming credentialId", async () => {
    const { orgId: o2, admin: a2 } = await newOrg();
    const foreign = await api<Credential>('POST', `/api/v1/orgs/${o2}/provider-credentials`, {
      token: a2.token,
      body: { name: 'theirs', provider: 'anthropic', secret: 'sk-ant-0123456789abcdefghijklmnopqrstu' },
    });
    const res = await api<ErrorBody>('POST', models(), {
      token: admin.token,
      body: {
        slug: unique('m'),
        credentialId: foreign.body.id,
        upstreamModel: 'claude',
        inputPricePerMTok: 3,
        outputPricePerMTok: 15,
      },
    });
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['credentialId']);
  });
});

describe('bad input gets 400 naming the field', () => {
  let credId: string;
  beforeAll(async () => {
    credId = (await createCredential()).id;
  });
  const okModel = () => ({
    slug: unique('m'),
    credentialId: credId,
    upstreamModel: 'u',
    inputPricePerMTok: 1,
    outputPricePerMTok: 1,
  });
  const okCred = () => ({ name: unique('c'), provider: 'anthropic', secret: 'sk-ant-0123456789abcdef' });
  const cases: { what: string; path: () => string; method?: string; body: () => unknown; field: string }[] = [
    {
      what: 'no credential name',
      path: creds,
      body: () => ({ ...okCred(), name: undefined }),
      field: 'name',
    },
    { what: 'empty name', path: creds, body: () => ({ ...okCred(), name: '  ' }), field: 'name' },
    {
      what: 'control chars in name',
      path: creds,
      body: () => ({ ...okCred(), name: 'a\u0007b' }),
      field: 'name',
    },
    {
      what: 'unknown provider',
      path: creds,
      body: () => ({ ...okCred(), provider: 'bedrock' }),
      field: 'provider',
    },
    {
      what: 'missing secret',
      path: creds,
      body: () => ({ ...okCred(), secret: undefined }),
      field: 'secret',
    },
    { what: 'numeric secret', path: creds, body: () => ({ ...okCred(), secret: 12345 }), field: 'secret' },
    {
      what: 'huge secret',
      path: creds,
      body: () => ({ ...okCred(), secret: 'x'.repeat(9000) }),
      field: 'secret',
    },
    { what: 'unknown field', path: creds, body: () => ({ ...okCred(), owner: 'me' }), field: 'owner' },
    {
      what: 'unknown config field',
      path: creds,
      body: () => ({ ...okCred(), config: { region: 'eu' } }),
      field: 'config.region',
    },
    {
      what: 'non-URL baseUrl',
      path: creds,
      body: () => ({ ...okCred(), config: { baseUrl: 'api.example.com' } }),
      field: 'config.baseUrl',
    },
    {
      what: 'bad azure apiVersion',
      path: creds,
      body: () => ({
        ...okCred(),
        provider: 'azure_openai',
        config: { endpoint: 'https://a.example.com', apiVersion: 'latest' },
      }),
      field: 'config.apiVersion',
    },
    { what: 'bad slug', path: models, body: () => ({ ...okModel(), slug: '../etc' }), field: 'slug' },
    { what: 'slug with spaces', path: models, body: () => ({ ...okModel(), slug: 'gpt 4' }), field: 'slug' },
    {
      what: 'credentialId not a uuid',
      path: models,
      body: () => ({ ...okModel(), credentialId: 'abc' }),
      field: 'credentialId',
    },
    {
      what: 'unknown credential',
      path: models,
      body: () => ({ ...okModel(), credentialId: '00000000-0000-4000-8000-000000000000' }),
      field: 'credentialId',
    },
    {
      what: 'negative price',
      path: models,
      body: () => ({ ...okModel(), inputPricePerMTok: -0.01 }),
      field: 'inputPricePerMTok',
    },
    {
      what: 'string price',
      path: models,
      body: () => ({ ...okModel(), outputPricePerMTok: '0.6' }),
      field: 'outputPricePerMTok',
    },
    {
      what: 'absurd price',
      path: models,
      body: () => ({ ...okModel(), outputPricePerMTok: 1e300 }),
      field: 'outputPricePerMTok',
    },
    {
      what: 'negative cache write price',
      path: models,
      body: () => ({ ...okModel(), cacheWritePricePerMTok: -1 }),
      field: 'cacheWritePricePerMTok',
    },
    {
      what: 'string cache read price',
      path: models,
      body: () => ({ ...okModel(), cacheReadPricePerMTok: '0.3' }),
      field: 'cacheReadPricePerMTok',
    },
    {
      what: 'enabled not boolean',
      path: models,
      body: () => ({ ...okModel(), enabled: 'yes' }),
      field: 'enabled',
    },
    {
      what: 'empty upstream model',
      path: models,
      body: () => ({ ...okModel(), upstreamModel: '' }),
      field: 'upstreamModel',
    },
    {
      what: 'gateway name missing',
      path: () => `/api/v1/orgs/${orgId}/gateway-tokens`,
      body: () => ({}),
      field: 'name',
    },
    {
      what: 'gateway name too long',
      path: () => `/api/v1/orgs/${orgId}/gateway-tokens`,
      body: () => ({ name: 'g'.repeat(101) }),
      field: 'name',
    },
  ];

  it.each(cases)('$what', async ({ path, method, body, field }) => {
    const res = await api<ErrorBody>(method ?? 'POST', path(), { token: admin.token, body: body() });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(fields(res)).toContain(field);
  });

  it('an empty PATCH is refused', async () => {
    const res = await api<ErrorBody>('PATCH', `${creds()}/${credId}`, { token: admin.token, body: {} });
    expect(res.status).toBe(400);
    const m = await createModel(credId);
    const res2 = await api<ErrorBody>('PATCH', `${models()}/${m.id}`, {
      token: admin.token,
      body: { provider: 'openai' },
    });
    expect(res2.status).toBe(400);
    expect(fields(res2)).toContain('provider');
  });
});
