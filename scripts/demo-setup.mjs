#!/usr/bin/env node
// Prepares the local stack for a first call: a demo provider (the fake upstream, labelled as such, or
// real OpenAI / Anthropic when OPENAI_API_KEY / ANTHROPIC_API_KEY are set), models, a gateway token
// and a demo API key. Idempotent: what exists is reused; tokens and the key live in .local/ (git-ignored).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { controlPlaneApi, signIn } from '../testing/dist/rest.js';

const [cp, email, password, fakeUrl, stateDir] = process.argv.slice(2);
const api = controlPlaneApi(cp);
const saved = (file, make) => {
  const path = `${stateDir}/${file}`;
  if (existsSync(path)) return Promise.resolve(readFileSync(path, 'utf8').trim());
  return make().then((value) => {
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    return value;
  });
};

const { token, orgId: org } = await signIn(cp, email, password);
const creds = (await api('GET', `/orgs/${org}/provider-credentials?limit=200`, token)).data;
const models = (await api('GET', `/orgs/${org}/models?limit=200`, token)).data;

async function ensure(name, provider, secret, config, slugs) {
  const cred =
    creds.find((c) => c.name === name) ??
    (await api('POST', `/orgs/${org}/provider-credentials`, token, { name, provider, secret, config }));
  for (const [slug, upstreamModel, inPrice, outPrice] of slugs) {
    if (models.some((m) => m.slug === slug)) continue;
    await api('POST', `/orgs/${org}/models`, token, {
      slug,
      credentialId: cred.id,
      upstreamModel,
      inputPricePerMTok: inPrice,
      outputPricePerMTok: outPrice,
      enabled: true,
    });
  }
}

await ensure(
  'demo (fake upstream, not a real provider)',
  'openai_compatible',
  'sk-demo-fake-upstream-not-a-real-secret',
  { baseUrl: `${fakeUrl}/v1` },
  [['demo-gpt', 'demo-gpt', 0.15, 0.6]],
);
await ensure(
  'demo anthropic (fake upstream, not a real provider)',
  'anthropic',
  'sk-ant-demo-fake-upstream-not-real',
  { baseUrl: fakeUrl },
  [['demo-claude', 'demo-claude', 3, 15]],
);
if (process.env.OPENAI_API_KEY) {
  await ensure('openai', 'openai', process.env.OPENAI_API_KEY, {}, [
    ['gpt-4o-mini', 'gpt-4o-mini', 0.15, 0.6],
  ]);
}
if (process.env.ANTHROPIC_API_KEY) {
  await ensure('anthropic', 'anthropic', process.env.ANTHROPIC_API_KEY, {}, [
    ['claude-sonnet-4-5', 'claude-sonnet-4-5', 3, 15],
  ]);
}
await saved(
  'gateway-1.token',
  async () => (await api('POST', `/orgs/${org}/gateway-tokens`, token, { name: 'local-gateway-1' })).token,
);
await saved(
  'demo-key',
  async () => (await api('POST', `/orgs/${org}/keys`, token, { name: 'demo key', expiresIn: '30d' })).secret,
);
