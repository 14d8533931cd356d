import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api, newOrg, type SignedIn, unique } from './client';

// A query that fails inside the real process (a unique violation the service turns into a 409) is
// logged by its SQLSTATE, constraint and statement, without the values it carried.

let orgId: string;
let admin: SignedIn;

beforeAll(async () => {
  ({ orgId, admin } = await newOrg());
});

describe('the log of a failed query', () => {
  it('names the failure without printing a secret-looking parameter', async () => {
    const name = unique('dup').toLowerCase();
    const marker = `sk-live-${unique('marker')}-0123456789abcdef`;
    const path = `/api/v1/orgs/${orgId}/mcp-servers`;
    const first = await api('POST', path, {
      token: admin.token,
      body: { name, url: 'http://127.0.0.1:9/mcp', description: 'first' },
    });
    expect(first.status).toBe(201);
    // The second INSERT carries the marker as a parameter and fails on the name's unique constraint.
    const second = await api('POST', path, {
      token: admin.token,
      body: { name, url: 'http://127.0.0.1:9/mcp', description: marker },
    });
    expect(second.status).toBe(409);
    const logs = readFileSync(inject('logFile'), 'utf8');
    expect(logs).toMatch(
      /query failed \(SQLSTATE 23505; table mcp_servers; constraint mcp_servers_org_id_name_key/,
    );
    expect(logs).not.toContain(marker);
  });
});
