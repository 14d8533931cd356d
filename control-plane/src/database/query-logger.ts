import type { Logger } from 'typeorm';

const QUERY_SHOWN = 160;

/**
 * TypeORM's error logging without what the query carried: its default prints every parameter of a
 * failed query (usage events' source IPs and user agents, hashes, emails). This prints the SQLSTATE,
 * the constraint and table Postgres names, the message (except for data exceptions, class 22, whose
 * messages quote the offending value) and the start of the statement, which is ours. Nothing else is
 * logged (as with `logging: ['error']`).
 */
export class QueryErrorLogger implements Logger {
  logQueryError(error: string | Error, query: string): void {
    const e = (typeof error === 'string' ? { message: error } : error) as {
      code?: unknown;
      constraint?: unknown;
      table?: unknown;
      message?: unknown;
    };
    const code = typeof e.code === 'string' ? e.code : '?';
    const parts = [`SQLSTATE ${code}`];
    if (typeof e.table === 'string') parts.push(`table ${e.table}`);
    if (typeof e.constraint === 'string') parts.push(`constraint ${e.constraint}`);
    if (!code.startsWith('22') && typeof e.message === 'string') parts.push(e.message);
    const statement = query.replace(/\s+/g, ' ').trim().slice(0, QUERY_SHOWN);
    process.stderr.write(`query failed (${parts.join('; ')}): ${statement}\n`);
  }

  logQuery(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
