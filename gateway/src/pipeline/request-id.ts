import { randomUUID } from 'node:crypto';
import type { Stage } from '../context.js';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed client `x-request-id`, otherwise mints one; echoed on every response. */
export const requestId = (): Stage => async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const id = incoming && CLIENT_ID.test(incoming) ? incoming : randomUUID();
  c.set('requestId', id);
  // Set before the response exists: Hono merges it into whatever the route builds. Setting a header on a
  // finished response would rebuild that response around a web stream, which costs a timer tick per call.
  c.header('x-request-id', id);
  await next();
};
