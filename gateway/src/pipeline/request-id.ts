import { randomUUID } from 'node:crypto';
import type { Stage } from '../context.js';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed client `x-request-id`, otherwise mints one; echoed on every response. */
export const requestId = (): Stage => async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const id = incoming && CLIENT_ID.test(incoming) ? incoming : randomUUID();
  c.set('requestId', id);
  await next();
  c.header('x-request-id', id);
};
