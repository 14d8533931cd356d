import { after, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';

/** Refuses keys that authenticated but may not be used: revoked, inactive, expired, or owner suspended. */
export const keyState =
  (now: () => number = Date.now): Stage =>
  async (c, next) => {
    const entry = after(c, 'key');
    const { key } = entry;
    if (key.status === 'revoked') return errorResponse(c, 'key_revoked', 'API key has been revoked');
    if (key.status === 'inactive') return errorResponse(c, 'key_inactive', 'API key is inactive');
    if (entry.expiresAtMs !== null && entry.expiresAtMs <= now())
      return errorResponse(c, 'key_expired', 'API key has expired');
    if (key.ownerStatus === 'suspended')
      return errorResponse(c, 'user_suspended', 'The owner of this API key is suspended');
    return next();
  };
