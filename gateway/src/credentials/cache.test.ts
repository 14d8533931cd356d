import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeGatewayToken } from '@portcullis/shared/gateways';
import { makeUsageSigningSecret } from '@portcullis/shared/usage-signing';
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialsCache } from './cache.js';

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CredentialsCache', () => {
  it('keeps the credentials only wrapped under the gateway token: the file alone, or another token, opens nothing', async () => {
    const token = makeGatewayToken();
    const identity = {
      gatewayId: '6a1f0a55-8d4e-4a43-9a57-0f3f4d0d9b11',
      orgId: '0b7e1f7c-3a53-4a4e-8f55-4b1b9c0f2a22',
      usageSigningSecret: makeUsageSigningSecret(),
      redis: { username: 'portcullis-gw-6a1f0a55-8d4e-4a43-9a57-0f3f4d0d9b11', password: 'p'.repeat(64) },
    };
    await new CredentialsCache(dir, token).save(identity);
    const text = readFileSync(path.join(dir, 'credentials.json'), 'utf8');
    expect(text).not.toContain(identity.usageSigningSecret);
    expect(text).not.toContain(identity.redis.password);
    expect(await new CredentialsCache(dir, token).load()).toEqual(identity);
    const lines: string[] = [];
    expect(await new CredentialsCache(dir, makeGatewayToken(), (l) => lines.push(l)).load()).toBeNull();
    expect(lines.join('\n')).not.toContain(identity.usageSigningSecret);
  });
});
