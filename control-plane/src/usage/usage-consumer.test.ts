import { describe, expect, it } from 'vitest';
import { eventFault } from './usage-consumer';

describe('eventFault', () => {
  it('names the SQLSTATE of errors one event can cause, and nothing else', () => {
    const pg = (code: string) => Object.assign(new Error('quoted "value"'), { code });
    expect(eventFault(pg('22003'))).toBe('22003'); // numeric out of range
    expect(eventFault(pg('22P02'))).toBe('22P02'); // invalid text representation
    expect(eventFault(pg('23514'))).toBe('23514'); // check constraint
    expect(eventFault(pg('54000'))).toBe('54000'); // program limit (index row too large)
    expect(eventFault({ driverError: { code: '23502' } })).toBe('23502'); // TypeORM's wrapper
    // Not the event's fault: retried with backoff, never dead-lettered.
    for (const code of ['40001', '40P01', '08006', '57P01', '53300', '42P01', 'XX000'])
      expect(eventFault(pg(code)), code).toBeNull();
    expect(eventFault(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(eventFault(new TypeError('x is undefined'))).toBeNull();
    expect(eventFault(null)).toBeNull();
  });
});
