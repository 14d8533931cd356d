import { describe, expect, it } from 'vitest';
import { redactTokens } from './invitation-mail.service';

describe('redactTokens', () => {
  it('cuts invitation tokens out of error text, wherever they appear, and leaves the rest', () => {
    const token = 'ptci_AbC-123_xyz';
    expect(redactTokens(`550 rejected http://x/invitations/${token} for a@b.test`)).toBe(
      '550 rejected http://x/invitations/ptci_[redacted] for a@b.test',
    );
    expect(redactTokens(`${token} and ${token}`)).toBe('ptci_[redacted] and ptci_[redacted]');
    expect(redactTokens('Mailbox busy, try again later')).toBe('Mailbox busy, try again later');
  });
});
