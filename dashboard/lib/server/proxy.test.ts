import { describe, expect, it } from 'vitest';
import { loggablePath } from './proxy';

describe('loggablePath', () => {
  it('hides an invitation token and leaves other paths alone', () => {
    expect(loggablePath('/api/v1/invitations/ptci_secret123/accept')).toBe(
      '/api/v1/invitations/:token/accept',
    );
    expect(loggablePath('/api/v1/orgs/abc/invitations')).toBe('/api/v1/orgs/abc/invitations');
    expect(loggablePath('/api/v1/orgs/abc/keys')).toBe('/api/v1/orgs/abc/keys');
  });
});
