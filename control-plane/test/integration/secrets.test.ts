import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { api, createKey, newOrg, seenBodies } from './client';

/** Every row of every table, as text. */
function databaseDump(): string {
  return execFileSync('pg_dump', ['--data-only', '--no-owner', inject('databaseUrl')], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
}

describe('the plaintext secret', () => {
  it('appears in exactly one response, and nowhere in the database or the logs', async () => {
    const { orgId, admin } = await newOrg();
    seenBodies.length = 0;
    const created = await createKey(orgId, admin.token, { name: 'watched key', metadata: { team: 'sec' } });
    const { secret, key } = created;
    const secretPart = secret.slice(key.prefix.length + 1, -6);
    const keysPath = `/api/v1/orgs/${orgId}/keys`;

    // Everything a user could do with the key afterwards.
    await api('GET', keysPath, { token: admin.token });
    await api('GET', `${keysPath}?search=${key.prefix}`, { token: admin.token });
    await api('GET', `${keysPath}/${key.id}`, { token: admin.token });
    await api('PATCH', `${keysPath}/${key.id}`, { token: admin.token, body: { name: 'watched key 2' } });
    await api('POST', `${keysPath}/${key.id}/deactivate`, { token: admin.token });
    await api('POST', `${keysPath}/${key.id}/activate`, { token: admin.token });
    await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });
    const rotated = await api<{ secret: string }>('POST', `${keysPath}/${key.id}/rotate`, {
      token: admin.token,
    });
    await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });

    const withSecret = seenBodies.filter((b) => b.includes(secretPart));
    expect(withSecret).toHaveLength(1);
    const rotatedPart = rotated.body.secret.slice(key.prefix.length + 1, -6);
    expect(seenBodies.filter((b) => b.includes(rotatedPart))).toHaveLength(1);

    const dump = databaseDump();
    expect(dump).toContain(key.id); // the dump is real and holds the key's row
    expect(dump).not.toContain(secretPart);
    expect(dump).not.toContain(rotatedPart);

    // Give the log pipe a moment, then read what the control plane printed.
    await new Promise((r) => setTimeout(r, 200));
    const logs = readFileSync(inject('logFile'), 'utf8');
    expect(logs).toContain('/orgs/:org/keys/:id/rotate'); // requests are logged...
    expect(logs).not.toContain(secretPart); // ...but never the secret
    expect(logs).not.toContain(rotatedPart);
    expect(logs).not.toContain(admin.token); // nor session tokens
  });
});
