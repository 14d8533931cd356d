import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, errorStatuses, matchRoute } from './routes';

/** The relative modules `file` imports, transitively (type-only imports included: they cost nothing, but stay honest). */
function importsOf(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
    if (spec?.startsWith('.')) importsOf(`${path.resolve(path.dirname(file), spec)}.ts`, seen);
    else if (spec) seen.add(spec);
  }
  return seen;
}

describe('the route table', () => {
  it('names each method and path once', () => {
    const keys = Object.values(API_ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('loads in a browser: nothing it or the client imports is a node: module', () => {
    for (const entry of ['routes.ts', 'client.ts']) {
      const node = [...importsOf(path.join(__dirname, entry))].filter((m) => m.startsWith('node:'));
      expect(node, entry).toEqual([]);
    }
  });

  it('finds the route of a request, a literal segment before a parameter', () => {
    expect(matchRoute('get', '/api/v1/orgs/o1/audit-events/verify')?.operationId).toBe('verifyAuditEvents');
    expect(matchRoute('GET', '/api/v1/orgs/o1/keys/k1')?.operationId).toBe('getKey');
    expect(matchRoute('DELETE', '/api/v1/orgs/o1/users/u1/sessions')?.operationId).toBe('endUserSessions');
    expect(matchRoute('GET', '/api/v1/orgs/o1/keys/k1/nothing')).toBeUndefined();
    expect(matchRoute('GET', '/v1/models')).toBeUndefined();
  });

  it('lists the errors a route implies: 401 behind a session, 404 with a path id, 400 with input', () => {
    expect(errorStatuses(API_ROUTES.getKey)).toEqual([401, 403, 404, 500]);
    expect(errorStatuses(API_ROUTES.createKey)).toEqual([400, 401, 403, 404, 409, 413, 500]);
    expect(errorStatuses(API_ROUTES.getHealth)).toEqual([500]);
  });
});
