import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

/** A task that runs until the test releases it. */
function held() {
  let runs = 0;
  let release: () => void = () => {};
  const task = () => {
    runs++;
    return new Promise<void>((ok) => {
      release = ok;
    });
  };
  return { task, runs: () => runs, release: () => release() };
}
const turn = () => new Promise((ok) => setImmediate(ok));

describe('SingleFlight', () => {
  it('runs one at a time; calls meanwhile share the run and ask for exactly one more', async () => {
    const t = held();
    const flight = new SingleFlight(t.task);
    const first = flight.run();
    expect(flight.run()).toBe(first);
    expect(flight.run()).toBe(first);
    expect(t.runs()).toBe(1);
    t.release();
    await turn();
    expect(t.runs()).toBe(2);
    t.release();
    await first;
    expect(t.runs()).toBe(2);
    // Idle again: the next call starts a new run.
    const next = flight.run();
    expect(next).not.toBe(first);
    t.release();
    await next;
    expect(t.runs()).toBe(3);
  });

  it('runs again when the task itself asks to, and stops when `more` says so', async () => {
    let runs = 0;
    let stopped = false;
    const flight: SingleFlight = new SingleFlight(
      async () => {
        runs++;
        if (runs === 3) stopped = true;
        flight.again = true;
      },
      { more: () => !stopped },
    );
    await flight.run();
    expect(runs).toBe(3);
  });

  it('hands a failure to onError and ends the run; without onError the run rejects', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const handled = new SingleFlight(
      async () => {
        calls++;
        if (calls === 1) throw new Error('redis not ready');
      },
      { onError: (err) => errors.push(err) },
    );
    await handled.run();
    expect(errors.map((e) => (e as Error).message)).toEqual(['redis not ready']);
    await handled.run();
    expect([calls, errors.length]).toEqual([2, 1]);

    const bare = new SingleFlight(async () => {
      throw new Error('fetch failed');
    });
    await expect(bare.run()).rejects.toThrow('fetch failed');
  });
});
