/** Pages of 200 (the API's maximum), a guard against a cursor that never ends. */
export const PAGE_SIZE = 200;
const MAX_PAGES = 50;

/**
 * Every item of a small catalog (credentials, models, MCP servers, gateways, webhooks), following
 * `nextCursor`: these pages show whole lists, so a 51st item must not silently disappear.
 */
export const listAll = async <T>(
  page: (query: { limit: number; cursor?: string }) => Promise<{ data: T[]; nextCursor: string | null }>,
): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let n = 0; n < MAX_PAGES; n++) {
    const body: { data: T[]; nextCursor: string | null } = await page({
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return items;
};
