const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs cannot name anything: callers answer 404 without asking the database. */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);
