import { ControlPlaneErrorBodySchema } from '../errors';
import { errorStatuses, type RouteSpec } from './routes';

/** Equal as JSON, whatever the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/**
 * What is wrong with an answer of `route`, or null when it is what the table documents: the success
 * status with exactly the documented view (a field the schema does not name is a problem too), or a
 * documented error status with the error body. `body` is the parsed JSON (the text for text answers).
 */
export function answerProblem(route: RouteSpec, status: number, body: unknown): string | null {
  if (status === route.status) {
    if (route.response === null)
      return body === null || body === '' ? null : 'a body where none is documented';
    const parsed = route.response.safeParse(body);
    if (!parsed.success) return `the answer does not match its schema: ${parsed.error.message}`;
    if (!sameJson(parsed.data, body)) {
      return `the answer has fields its schema does not name: ${JSON.stringify(body).slice(0, 2000)}`;
    }
    return null;
  }
  if (status < 400) return `status ${status}, documented ${route.status}`;
  if (!errorStatuses(route).includes(status))
    return `error status ${status} is not documented for this route`;
  const parsed = ControlPlaneErrorBodySchema.safeParse(body);
  if (!parsed.success) return `the error body does not match the error schema: ${parsed.error.message}`;
  if (!sameJson(parsed.data, body)) return 'the error body has fields its schema does not name';
  return null;
}
