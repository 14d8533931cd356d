import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetGatewaysKey, budgetKey, gatewayAclRules, rateLimitPrefix, usageStreamOf } from './redis-keys';

const ORG = '00000000-0000-4000-8000-000000000000';

describe('Redis keys and the gateway ACL', () => {
  it('every key a gateway touches carries its organization, inside the ACL patterns', () => {
    const rules = gatewayAclRules(ORG);
    const patterns = rules.filter((r) => r.startsWith('~')).map((r) => r.slice(1));
    const covered = (key: string) => patterns.some((p) => p.endsWith('*') && key.startsWith(p.slice(0, -1)));
    expect(covered(`${rateLimitPrefix(ORG, 'key:k')}req:123`)).toBe(true);
    expect(covered(budgetKey(ORG, 'user:u', 'd20261207'))).toBe(true);
    expect(covered(budgetGatewaysKey(ORG))).toBe(true);
    expect(covered(budgetKey('11111111-0000-4000-8000-000000000000', 'user:u', 'd1'))).toBe(false);
    expect(rules).toContain(`(%W~${usageStreamOf(ORG)} +xadd)`);
  });

  it('deploy/redis-acl/users.acl has the example gateway user with exactly these rules', () => {
    const file = readFileSync(path.resolve(__dirname, '../../deploy/redis-acl/users.acl'), 'utf8');
    const line = file.split('\n').find((l) => l.startsWith('user portcullis-gw-example '));
    expect(line).toBe(
      ['user', 'portcullis-gw-example', 'reset', 'on', '>change-me-gateway', ...gatewayAclRules(ORG)].join(
        ' ',
      ),
    );
  });
});
