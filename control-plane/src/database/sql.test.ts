import { describe, expect, it } from 'vitest';
import { bind, containsPattern, idsIn, joinSql, lockClause, rawSql, sql } from './sql';

describe('sql', () => {
  it('numbers values in order, through nested fragments', () => {
    const where = joinSql([sql`a = ${1}`, sql`b = ${'x'}`], ' AND ');
    expect(sql`SELECT * FROM t WHERE ${where} AND c = ${true} LIMIT ${10}`.build()).toEqual({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 LIMIT $4',
      params: [1, 'x', true, 10],
    });
  });

  it('sends a bound value once however often it appears', () => {
    const s = bind('revoked');
    expect(
      sql`SET status = ${s}, at = CASE WHEN ${s} = 'revoked' THEN now() END WHERE id = ${'k'}`.build(),
    ).toEqual({
      text: "SET status = $1, at = CASE WHEN $1 = 'revoked' THEN now() END WHERE id = $2",
      params: ['revoked', 'k'],
    });
  });

  it('splices raw text and the optional fragments without parameters', () => {
    expect(
      sql`SELECT ${rawSql('id')} FROM t WHERE x ${idsIn('id', undefined)}${lockClause(false)}`.build(),
    ).toEqual({
      text: 'SELECT id FROM t WHERE x ',
      params: [],
    });
    expect(sql`WHERE o = ${'o'} ${idsIn('id', ['a'])}${lockClause(true)}`.build()).toEqual({
      text: 'WHERE o = $1 AND id = ANY($2::uuid[]) FOR UPDATE',
      params: ['o', ['a']],
    });
    expect(joinSql([], ' AND ', 'TRUE').build()).toEqual({ text: 'TRUE', params: [] });
  });

  it('escapes LIKE wildcards in a search', () => {
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
