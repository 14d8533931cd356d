import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open as openFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveKey, open, seal } from '@portcullis/shared/crypto';
import { verifyBytes, verifyMessageText } from '@portcullis/shared/signing';
import { type OrgSnapshot, parseSnapshot, SnapshotMessageSchema } from '@portcullis/shared/snapshot';
import { z } from 'zod';
import type { SnapshotDelta } from './store.js';

/**
 * The last good snapshot on disk, so a gateway restarted while the control plane and Redis are down
 * still serves (fail-static). Two files:
 * - `snapshot.json`, the base (format 4): one header line `{ format, savedAt, sealedSnapshotKey,
 *   snapshotKeyVersion, signature }`, then the full snapshot exactly as the control plane sent it, with
 *   the control plane's signature over those bytes in the header. Replaced atomically (temp file +
 *   rename). The snapshot key that opens provider secrets is sealed under a key derived from the
 *   gateway token, with the body's organization and signature as associated data: the header opens
 *   only with the body it was written with, so another organization's genuinely signed snapshot (from
 *   another gateway's state directory, or fetched with its token) cannot be put under this gateway's
 *   header. Format 3 (the same, without that binding) is read only when its organization is the one the
 *   caller expects.
 * - `snapshot.journal`, every delta applied since, one signed message per line as it came from Redis,
 *   appended as it is applied: a revocation is on disk within milliseconds, and a delta costs an append
 *   instead of rewriting a base of tens of MB. Past a few thousand lines the sync fetches a new base.
 * Loading verifies the base's signature and every journal line's under the pinned control-plane key:
 * what was written to the disk by anyone else is not served. It applies the base, then the journal
 * lines that continue its version, stopping at a gap, a torn last line or a line that does not verify.
 * Formats 1 and 2 are unsigned: loaded only as `signed: false`, for the caller to refuse once it has
 * pinned a key. Every write goes through one queue, in the order of the calls.
 */
const CACHE_PURPOSE = 'portcullis-gateway-cache';
const KEY_AAD = 'snapshot-key';
/** Format 4: the sealed snapshot key is bound to the body's organization and signature. */
const boundAad = (orgId: string, signature: string) => `${KEY_AAD}\n${orgId}\n${signature}`;
const FILE_FORMAT = 4;

const HeaderSchema = z.object({
  format: z.union([z.literal(3), z.literal(FILE_FORMAT)]),
  savedAt: z.string(),
  sealedSnapshotKey: z.string(),
  snapshotKeyVersion: z.number().int().positive(),
  signature: z.string(),
});
/** Formats 1 and 2 (unsigned): the whole file is one JSON object, `snapshot` inside it. */
const LegacyFileSchema = z.object({
  format: z.union([z.literal(1), z.literal(2)]),
  savedAt: z.string(),
  sealedSnapshotKey: z.string(),
  snapshot: z.unknown(),
});

export interface CachedState {
  snapshot: OrgSnapshot;
  snapshotKey: Buffer;
  snapshotKeyVersion: number;
  /** Deltas applied after `snapshot`, oldest first (the store skips stale ones and stops at a gap). */
  deltas: SnapshotDelta[];
  /** False for an unsigned cache (formats 1 and 2): nothing in it was verified. */
  signed: boolean;
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
  /** The version of the base on disk (-1: none). A base is never replaced by an older one. */
  #baseVersion = -1;
  #lastError = '';
  #pendingAppends = 0;

  constructor(
    readonly dir: string,
    gatewayToken: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.file = join(dir, 'snapshot.json');
    this.journalFile = join(dir, 'snapshot.journal');
    this.#wrapKey = deriveKey(gatewayToken, CACHE_PURPOSE);
  }

  /** Deltas in the journal since the base was written, counting the appends still queued. */
  get journalLength(): number {
    return this.#journal.length + this.#pendingAppends;
  }

  /** The version of the base on disk, -1 when there is none. */
  get baseVersion(): number {
    return this.#baseVersion;
  }

  /**
   * The cached state, verified under `publicKey` (the pinned control-plane key). Null when there is no
   * cache, or it is unreadable, was written under another gateway token, does not verify, or is of
   * another organization than `expectedOrgId` (the gateway's, when it knows it). An unsigned
   * cache comes back with `signed: false`, its journal unverified.
   */
  async load(publicKey: KeyObject | null, expectedOrgId: string | null = null): Promise<CachedState | null> {
    let buf: Buffer;
    try {
      buf = await readFile(this.file);
    } catch {
      return null;
    }
    let state: CachedState;
    try {
      state = this.#parseBase(buf, publicKey, expectedOrgId);
    } catch (err) {
      this.log(`gateway: ignoring the snapshot cache ${this.file}: ${(err as Error).message}`);
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
      let body = line;
      if (state.signed) {
        const verified = publicKey ? verifyMessageText(publicKey, line) : null;
        if (!verified?.ok) {
          this.log(
            `gateway: ignoring the snapshot cache journal from a line that is not signed by the control plane (${verified?.reason ?? 'no key'})`,
          );
          break;
        }
        body = verified.body;
      }
      let msg: ReturnType<typeof SnapshotMessageSchema.safeParse>;
      try {
        msg = SnapshotMessageSchema.safeParse(JSON.parse(body));
      } catch {
        break; // a torn last line (the process died mid-append)
      }
      if (!msg.success || msg.data.kind !== 'delta' || msg.data.orgId !== state.snapshot.orgId) break;
      if (msg.data.toVersion <= state.snapshot.version) continue;
      state.deltas.push(msg.data);
      lines.push({ toVersion: msg.data.toVersion, text: line });
    }
    const baseVersion = state.signed ? state.snapshot.version : -1;
    this.#enqueue(async () => {
      this.#journal = lines;
      this.#baseVersion = baseVersion;
    });
    return state;
  }

  #parseBase(buf: Buffer, publicKey: KeyObject | null, expectedOrgId: string | null): CachedState {
    const nl = buf.indexOf(0x0a);
    if (nl < 0) {
      // Formats 1 and 2: one JSON object.
      const legacy = LegacyFileSchema.parse(JSON.parse(buf.toString('utf8')));
      return {
        snapshot: parseSnapshot(legacy.snapshot),
        snapshotKey: this.#unwrap(legacy.sealedSnapshotKey),
        snapshotKeyVersion: 1,
        deltas: [],
        signed: false,
      };
    }
    const header = HeaderSchema.parse(JSON.parse(buf.subarray(0, nl).toString('utf8')));
    const body = buf.subarray(nl + 1);
    if (!publicKey) throw new Error('no control-plane key is pinned to verify it against');
    if (!verifyBytes(publicKey, 'full-snapshot', body, header.signature))
      throw new Error('its signature does not verify under the pinned control-plane key');
    const snapshot = parseSnapshot(JSON.parse(body.toString('utf8')));
    if (expectedOrgId !== null && snapshot.orgId !== expectedOrgId)
      throw new Error(`it is of org ${snapshot.orgId}, this gateway of ${expectedOrgId}`);
    if (header.format === 3 && expectedOrgId === null)
      throw new Error(
        'its organization cannot be checked (format 3, and the gateway does not know its own yet)',
      );
    return {
      snapshot,
      snapshotKey: this.#unwrap(
        header.sealedSnapshotKey,
        header.format === 3 ? KEY_AAD : boundAad(snapshot.orgId, header.signature),
      ),
      snapshotKeyVersion: header.snapshotKeyVersion,
      deltas: [],
      signed: true,
    };
  }

  #unwrap(sealed: string, aad = KEY_AAD): Buffer {
    let key: Buffer;
    try {
      key = Buffer.from(open(this.#wrapKey, sealed, aad), 'base64url');
    } catch {
      throw new Error('its snapshot key does not open with this gateway token and this snapshot');
    }
    if (key.length !== 32) throw new Error('its snapshot key is not 32 bytes');
    return key;
  }

  /**
   * Replaces the base with a full snapshot exactly as the control plane sent it, with its signature
   * (already verified by the caller), and drops the journal lines it makes stale. A base older than the
   * one on disk is not written (the journal between them is gone).
   */
  saveWire(
    body: Buffer,
    snapshot: { orgId: string; version: number },
    signature: string,
    snapshotKey: Buffer,
    snapshotKeyVersion: number,
  ): Promise<void> {
    const { version } = snapshot;
    return this.#enqueue(async () => {
      if (version < this.#baseVersion) return;
      await this.#writeBase(body, snapshot.orgId, signature, snapshotKey, snapshotKeyVersion);
      await this.#trimJournal(version);
      this.#baseVersion = version;
    });
  }

  /** Deletes the base and the journal (the gateway was removed). */
  clear(): Promise<void> {
    return this.#enqueue(async () => {
      await rm(this.file, { force: true });
      await rm(this.journalFile, { force: true });
      this.#journal = [];
      this.#baseVersion = -1;
    });
  }

  /** Appends an applied delta (its message text, one line) to the journal. */
  append(toVersion: number, messageText: string): Promise<void> {
    const text = messageText.replace(/\n/g, ' ');
    this.#pendingAppends++;
    return this.#enqueue(async () => {
      this.#pendingAppends--;
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
    body: Buffer,
    orgId: string,
    signature: string,
    snapshotKey: Buffer,
    snapshotKeyVersion: number,
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const header = JSON.stringify({
      format: FILE_FORMAT,
      savedAt: new Date().toISOString(),
      sealedSnapshotKey: seal(
        this.#wrapKey,
        snapshotKey.toString('base64url'),
        1,
        boundAad(orgId, signature),
      ),
      snapshotKeyVersion,
      signature,
    });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await openFile(tmp, 'w', 0o600);
    try {
      const write = async (buf: Buffer) => {
        for (let done = 0; done < buf.length; ) done += (await fh.write(buf, done)).bytesWritten;
      };
      await write(Buffer.from(`${header}\n`));
      await write(body);
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
