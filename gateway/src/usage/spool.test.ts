import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageSpool } from './spool.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'portcullis-spool-'));
  dirs.push(d);
  return path.join(d, 'usage-spool');
}
const line = (i: number) => JSON.stringify({ id: `event-${i}`, pad: 'x'.repeat(20) });

describe('UsageSpool', () => {
  it('appends within its bound, refuses the rest, and finds its events again after a restart, in order', async () => {
    const where = dir();
    const size = Buffer.byteLength(line(0)) + 1;
    const spool = new UsageSpool(where, { maxBytes: size * 5, segmentBytes: size * 2 });
    await spool.open();
    expect(await spool.append([line(0), line(1), line(2)])).toBe(3);
    expect(await spool.append([line(3), line(4), line(5), line(6)])).toBe(2);
    expect(spool.events).toBe(5);
    expect(spool.bytes).toBe(size * 5);

    const again = new UsageSpool(where, { maxBytes: size * 5 });
    await again.open();
    expect(again.events).toBe(5);
    const seen: string[] = [];
    while (again.hasData) {
      const seg = await again.oldest();
      if (!seg) break;
      seen.push(...seg.lines);
      again.sent(seg.lines);
      await again.remove(seg.name);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map(line));
    expect(again.events).toBe(0);
    expect(again.bytes).toBe(0);
    expect(readdirSync(where)).toEqual([]);
  });

  it('skips a line cut short by a crash mid-append', async () => {
    const where = dir();
    const spool = new UsageSpool(where, { maxBytes: 1 << 20 });
    await spool.open();
    await spool.append([line(1)]);
    const [name] = readdirSync(where);
    appendFileSync(path.join(where, name as string), '{"id":"event-2","pa');
    const seg = await spool.oldest();
    expect(seg?.lines).toEqual([line(1)]);
  });
});
