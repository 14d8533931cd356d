import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open as openFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { deriveKey, open, seal } from '@portcullis/shared/crypto';
import {
  type OrgSnapshot,
  parseSnapshot,
  SNAPSHOT_WIRE_FORMAT,
  SnapshotMessageSchema,
  WireSnapshotWriter,
} from '@portcullis/shared/snapshot';
import { z } from 'zod';
import type { SnapshotDelta } from './store.js';

/**
 * The last good snapshot on disk, so a gateway restarted while the control plane and Redis are down
 * still serves (fail-static). Two files:
 * - `snapshot.json`, the base: `{ format, savedAt, sealedSnapshotKey, snapshot }`, where `snapshot` is
 *   the full snapshot in wire format, written as the bytes the control plane sent (no re-encoding), and
 *   replaced atomically (temp file + rename). The snapshot key that opens provider secrets is sealed
 *   under a key derived from the gateway token.
 * - `snapshot.journal`, every delta applied since, one message per line, appended as it is applied: a
 *   revocation is on disk within milliseconds, and a delta costs an append instead of rewriting a base
 *   of tens of MB. Past a few thousand lines the base is rewritten from memory (compaction).
 * Loading applies the base, then the journal lines that continue its version, stopping at a gap or a
 * torn last line. Every write goes through one queue, so the files change in the order of the calls.
 */
const CACHE_PURPOSE = 'portcullis-gateway-cache';
const KEY_AAD = 'snapshot-key';
const FILE_FORMAT = 2;
/** Keys encoded per turn of the event loop when compacting, so requests are not held up. */
const ENCODE_CHUNK = 2000;

const CacheFileSchema = z.object({
  // 1: `snapshot` in the object form (gateways before wire format 2); 2: as sent by the control plane.
  format: z.union([z.literal(1), z.literal(FILE_FORMAT)]),
  savedAt: z.string(),
  sealedSnapshotKey: z.string(),
  snapshot: z.unknown(),
});

export interface CachedState {
  snapshot: OrgSnapshot;
  snapshotKey: Buffer;
  /** Deltas applied after `snapshot`, oldest first (the store skips stale ones and stops at a gap). */
  deltas: SnapshotDelta[];
}

interface JournalLine {
  toVersion: number;
  text: string;
}

export class DiskCache {
  readonly file: string;
  readonly journalFile: string;
  readonly #wrapKey: Buffer;
  #queue: Promise<void> = Promise.resolve();
  /** The journal lines on disk newer than the base, in order (what a compaction must keep). */
  #journal: JournalLine[] = [];
  #lastError = '';

  constructor(
    readonly dir: string,
    gatewayToken: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.file = join(dir, 'snapshot.json');
    this.journalFile = join(dir, 'snapshot.journal');
    this.#wrapKey = deriveKey(gatewayToken, CACHE_PURPOSE);
  }

  /** Deltas in the journal since the base was written. */
  get journalLength(): number {
    return this.#journal.length;
  }

  /** Null when there is no cache, or it is unreadable or was written under another gateway token. */
  async load(): Promise<CachedState | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    let state: CachedState;
    try {
      const parsed = CacheFileSchema.parse(JSON.parse(text));
      text = '';
      const snapshotKey = Buffer.from(open(this.#wrapKey, parsed.sealedSnapshotKey, KEY_AAD), 'base64url');
      if (snapshotKey.length !== 32) return null;
      state = { snapshot: parseSnapshot(parsed.snapshot), snapshotKey, deltas: [] };
    } catch (err) {
      this.log(`gateway: ignoring unreadable snapshot cache ${this.file} (${(err as Error).name})`);
      return null;
    }
    let journal = '';
    try {
      journal = await readFile(this.journalFile, 'utf8');
    } catch {
      // No journal: nothing was applied after the base.
    }
    const lines: JournalLine[] = [];
    for (const line of journal.split('\n')) {
      if (line === '') continue;
      let msg: ReturnType<typeof SnapshotMessageSchema.safeParse>;
      try {
        msg = SnapshotMessageSchema.safeParse(JSON.parse(line));
      } catch {
        break; // a torn last line (the process died mid-append)
      }
      if (!msg.success || msg.data.kind !== 'delta' || msg.data.orgId !== state.snapshot.orgId) break;
      if (msg.data.toVersion <= state.snapshot.version) continue;
      state.deltas.push(msg.data);
      lines.push({ toVersion: msg.data.toVersion, text: line });
    }
    this.#enqueue(async () => {
      this.#journal = lines;
    });
    return state;
  }

  /**
   * Replaces the base with a full snapshot exactly as the control plane sent it (already validated by
   * the caller), and drops the journal lines it makes stale.
   */
  saveWire(body: Buffer, version: number, snapshotKey: Buffer): Promise<void> {
    return this.#enqueue(async () => {
      await this.#writeBase(snapshotKey, async (write) => write(body));
      await this.#trimJournal(version);
    });
  }

  /**
   * Replaces the base with the held snapshot, encoded in chunks between which requests run, and keeps
   * the journal lines newer than it. The caller passes a snapshot it no longer changes (the store's
   * `toSnapshot()` is a copy of the key list; a key changed meanwhile is in the journal too).
   */
  save(snapshot: OrgSnapshot, snapshotKey: Buffer): Promise<void> {
    return this.#enqueue(async () => {
      await this.#writeBase(snapshotKey, async (write) => {
        const w = new WireSnapshotWriter();
        const head = {
          format: SNAPSHOT_WIRE_FORMAT,
          orgId: snapshot.orgId,
          version: snapshot.version,
          generatedAt: snapshot.generatedAt,
        };
        await write(`${JSON.stringify(head).slice(0, -1)},"keys":[`);
        for (let i = 0; i < snapshot.keys.length; i += ENCODE_CHUNK) {
          const tuples = snapshot.keys.slice(i, i + ENCODE_CHUNK).map((k) => w.key(k));
          await write(`${i > 0 ? ',' : ''}${JSON.stringify(tuples).slice(1, -1)}`);
          await yieldToLoop();
        }
        const tables = JSON.stringify({
          owners: w.owners,
          policies: w.policies,
          metadata: w.metadata,
          credentials: snapshot.credentials,
          models: snapshot.models,
          mcpServers: snapshot.mcpServers ?? [],
          ...(snapshot.people ? { people: snapshot.people } : {}),
          ephemeralTokens: snapshot.ephemeralTokens ?? [],
        });
        await write(`],${tables.slice(1)}`);
      });
      await this.#trimJournal(snapshot.version);
    });
  }

  /** Appends an applied delta (its message text, one line) to the journal. */
  append(toVersion: number, messageText: string): Promise<void> {
    const text = messageText.replace(/\n/g, ' ');
    return this.#enqueue(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await appendFile(this.journalFile, `${text}\n`, { mode: 0o600 });
      this.#journal.push({ toVersion, text });
    });
  }

  /** Resolves once every write asked for so far is done (or failed and was logged). */
  flush(): Promise<void> {
    return this.#enqueue(async () => {});
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(op).then(
      () => {
        this.#lastError = '';
      },
      (err: unknown) => {
        const text = `gateway: cannot write the snapshot cache (${(err as Error).message})`;
        if (text !== this.#lastError) this.log(text);
        this.#lastError = text;
      },
    );
    return this.#queue;
  }

  async #writeBase(
    snapshotKey: Buffer,
    body: (write: (chunk: string | Buffer) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const header = JSON.stringify({
      format: FILE_FORMAT,
      savedAt: new Date().toISOString(),
      sealedSnapshotKey: seal(this.#wrapKey, snapshotKey.toString('base64url'), 1, KEY_AAD),
    });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await openFile(tmp, 'w', 0o600);
    try {
      const write = async (chunk: string | Buffer) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        for (let done = 0; done < buf.length; ) done += (await fh.write(buf, done)).bytesWritten;
      };
      await write(`${header.slice(0, -1)},"snapshot":`);
      await body(write);
      await write('}');
      await fh.close();
      await rename(tmp, this.file);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Keeps only the journal lines past `version` (the base just written), atomically. */
  async #trimJournal(version: number): Promise<void> {
    const keep = this.#journal.filter((l) => l.toVersion > version);
    if (keep.length === 0) {
      await writeFile(this.journalFile, '', { mode: 0o600 });
    } else {
      const tmp = `${this.journalFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, keep.map((l) => `${l.text}\n`).join(''), { mode: 0o600 });
      await rename(tmp, this.journalFile);
    }
    this.#journal = keep;
  }
}
