import { appendFile, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** One spool file: JSONL, one usage event per line, named so that names sort in write order. */
interface Segment {
  name: string;
  bytes: number;
  events: number;
}

const SEGMENT_RE = /^usage-(\d{16})\.jsonl$/;
const segmentName = (seq: number) => `usage-${String(seq).padStart(16, '0')}.jsonl`;

/** What a replay holds of the oldest segment: its lines, sent up to `offset`. */
export interface ReplaySegment {
  readonly name: string;
  lines: string[];
  offset: number;
}

/**
 * The on-disk spool of usage events that could not reach Redis: append-only JSONL segment files in
 * `<GATEWAY_STATE_DIR>/usage-spool/`, bounded by `maxBytes` (events beyond it are refused and counted by
 * the caller). Appends are batched by the caller (one append per flush, never one per request); a
 * segment is closed at `segmentBytes` or when the replay reaches it, and deleted once fully sent.
 *
 * Not safe for concurrent use: the usage emitter calls it from its single-flight flush loop only.
 */
export class UsageSpool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #segments: Segment[] = [];
  /** The segment appends go to (the newest), or null when the next append starts a new one. */
  #open: Segment | null = null;
  #seq = 0;
  bytes = 0;
  events = 0;

  constructor(dir: string, opts: { maxBytes: number; segmentBytes?: number }) {
    this.#dir = dir;
    this.#maxBytes = opts.maxBytes;
    this.#segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
  }

  /** Finds the segments a previous run left (so a restart replays them) and counts their events. */
  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const names = (await readdir(this.#dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const file = path.join(this.#dir, name);
      const { size } = await stat(file);
      const text = size > 0 ? await readFile(file, 'utf8') : '';
      let events = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) events++;
      this.#segments.push({ name, bytes: size, events });
      this.bytes += size;
      this.events += events;
      this.#seq = Math.max(this.#seq, Number(SEGMENT_RE.exec(name)?.[1] ?? 0));
    }
  }

  get hasData(): boolean {
    return this.#segments.length > 0;
  }

  /** Appends what fits under the bound; returns how many lines were written (the rest are refused). */
  async append(lines: readonly string[]): Promise<number> {
    let text = '';
    let bytes = 0;
    let taken = 0;
    for (const line of lines) {
      const n = Buffer.byteLength(line) + 1;
      if (this.bytes + bytes + n > this.#maxBytes) break;
      text += `${line}\n`;
      bytes += n;
      taken++;
    }
    if (taken === 0) return 0;
    let seg = this.#open;
    if (!seg || seg.bytes >= this.#segmentBytes) {
      this.#seq = Math.max(this.#seq + 1, Date.now() * 1000);
      seg = { name: segmentName(this.#seq), bytes: 0, events: 0 };
      this.#segments.push(seg);
      this.#open = seg;
    }
    await appendFile(path.join(this.#dir, seg.name), text);
    seg.bytes += bytes;
    seg.events += taken;
    this.bytes += bytes;
    this.events += taken;
    return taken;
  }

  /** The oldest segment's events, in order; closes it for appends if it is the open one. */
  async oldest(): Promise<ReplaySegment | null> {
    const seg = this.#segments[0];
    if (!seg) return null;
    if (seg === this.#open) this.#open = null;
    const text = await readFile(path.join(this.#dir, seg.name), 'utf8');
    // A line cut short by a crash mid-append is not an event: keep only lines that parse.
    const lines: string[] = [];
    let bad = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        JSON.parse(line);
        lines.push(line);
      } catch {
        bad++;
      }
    }
    if (bad > 0) console.error(`gateway: usage spool ${seg.name} had ${bad} unreadable line(s); skipped`);
    return { name: seg.name, lines, offset: 0 };
  }

  /** Records that `lines` of the replayed segment reached Redis. */
  sent(lines: readonly string[]): void {
    let bytes = 0;
    for (const line of lines) bytes += Buffer.byteLength(line) + 1;
    this.bytes = Math.max(0, this.bytes - bytes);
    this.events = Math.max(0, this.events - lines.length);
  }

  /** Deletes a fully replayed segment. */
  async remove(name: string): Promise<void> {
    const i = this.#segments.findIndex((s) => s.name === name);
    const seg = this.#segments[i];
    if (!seg) return;
    await unlink(path.join(this.#dir, name)).catch(() => {});
    this.#segments.splice(i, 1);
    // Exact again once the file is gone (also for skipped lines `sent` never saw).
    this.#recount();
  }

  #recount(): void {
    let bytes = 0;
    let events = 0;
    for (const s of this.#segments) {
      bytes += s.bytes;
      events += s.events;
    }
    this.bytes = bytes;
    this.events = events;
  }
}
