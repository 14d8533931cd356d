import type { Logger } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QueryErrorLogger } from './query-logger';

/** As TypeORM calls it: with the query's parameters. */
const logger = (): Logger => new QueryErrorLogger();

const SECRET = 'sk-live-4f9c2b7e1d0a8c6b5e3f2a1d0c9b8a7e';

function printed(fn: () => void): string {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return writes.join('');
}

describe('QueryErrorLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints a failed query's SQLSTATE, table, constraint and statement, never its parameters", () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "things_name_key"'), {
      code: '23505',
      table: 'things',
      constraint: 'things_name_key',
    });
    const out = printed(() =>
      logger().logQueryError(err, 'INSERT INTO things (name, secret) VALUES ($1, $2)', ['a-name', SECRET]),
    );
    expect(out).toContain('SQLSTATE 23505');
    expect(out).toContain('table things');
    expect(out).toContain('constraint things_name_key');
    expect(out).toContain('INSERT INTO things (name, secret) VALUES ($1, $2)');
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('a-name');
  });

  it('drops the message of a data exception (class 22), which quotes the offending value', () => {
    const err = Object.assign(new Error(`invalid input syntax for type uuid: "${SECRET}"`), {
      code: '22P02',
    });
    const out = printed(() => logger().logQueryError(err, 'SELECT * FROM keys WHERE id = $1', [SECRET]));
    expect(out).toContain('SQLSTATE 22P02');
    expect(out).not.toContain(SECRET);
  });

  it('prints nothing for successful queries, slow queries or schema work', () => {
    const logger = new QueryErrorLogger();
    const out = printed(() => {
      logger.logQuery();
      logger.logQuerySlow();
      logger.log();
    });
    expect(out).toBe('');
  });
});
