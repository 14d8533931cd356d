import type { z } from 'zod';
import { apiFetch } from './client';
import { listSchema, queryString } from './org';

/** Pages of 200 (the API's maximum), a guard against a cursor that never ends. */
const PAGE_SIZE = 200;
const MAX_PAGES = 50;

/**
 * Every item of a small catalog (credentials, models, MCP servers, gateways, webhooks), following
 * `nextCursor`: these pages show whole lists, so a 51st item must not silently disappear.
 */
export const listAll = async <T>(path: string, item: z.ZodType<T>, signal?: AbortSignal): Promise<T[]> => {
  const schema = listSchema(item);
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const query = queryString({ limit: PAGE_SIZE, cursor }).slice(1);
    const body = (await apiFetch(`${path}${separator}${query}`, { schema, signal })) as {
      data: T[];
      nextCursor: string | null;
    };
    items.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return items;
};
