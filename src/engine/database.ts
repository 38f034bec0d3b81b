/**
 * A set of named collections under one directory, one subdirectory each. The service gives
 * every tenant its own Database; the engine itself knows nothing of tenants.
 *
 * Creation builds the collection under a temporary name and renames it into place; dropping
 * renames it away before deleting, so a crash never leaves a half collection under its name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VectraError } from '../errors.js';
import { probeDisk } from './disk.js';
import { Collection, DB_FILE, type ChangeBatch, type CollectionOptions } from './collection.js';
import type { IndexBuilt } from './index-keeper.js';
import { defaultLogger } from './logger.js';
import type { CollectionConfigInput } from './types.js';

export const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export interface DatabaseOptions extends Omit<CollectionOptions, 'onChange' | 'onIndexBuilt'> {
  /** Called after each committed write of any collection, with the collection's name. */
  onChange?: (collection: string, batch: ChangeBatch) => void;
  /** Called when a collection's background index build has been adopted. */
  onIndexBuilt?: (collection: string, built: IndexBuilt) => void;
}

type Slot = { state: 'loading'; promise: Promise<Collection> } | { state: 'ready'; collection: Collection } | { state: 'failed'; error: Error };

export class Database {
  private readonly slots = new Map<string, Slot>();
  /**
   * Drops whose directory is not yet renamed away (closing a collection waits for its running
   * index build): a create of the same name waits for them.
   */
  private readonly dropping = new Map<string, Promise<void>>();
  /** Resolves when every collection present at open has loaded (or failed to). */
  readonly ready: Promise<void>;

  private constructor(readonly root: string, private readonly options: DatabaseOptions) {
    mkdirSync(root, { recursive: true });
    const loads: Promise<unknown>[] = [];
    for (const name of readdirSync(root)) {
      const dir = join(root, name);
      if (!COLLECTION_NAME.test(name)) {
        // Leftovers of an interrupted create or drop.
        if (name.startsWith('.creating-') || name.startsWith('.dropped-')) rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (!existsSync(join(dir, DB_FILE))) continue;
      loads.push(this.track(name, Collection.open(dir, this.optionsFor(name))));
    }
    this.ready = Promise.allSettled(loads).then(() => undefined);
  }

  /** Open the database at `root`; collections load in the background (see `ready`). */
  static open(root: string, options: DatabaseOptions = {}): Database {
    return new Database(root, options);
  }

  private optionsFor(name: string): CollectionOptions {
    const { onChange, onIndexBuilt, ...rest } = this.options;
    return {
      ...rest,
      ...(onChange ? { onChange: (batch: ChangeBatch) => onChange(name, batch) } : {}),
      ...(onIndexBuilt ? { onIndexBuilt: (built: IndexBuilt) => onIndexBuilt(name, built) } : {}),
    };
  }

  /**
   * Hold `name`'s slot while its collection opens. A collection that fails to open is logged
   * and its slot stays failed; a failed create instead frees the name and leaves the error to
   * its caller (usually a config the client got wrong: not the server's error to log).
   */
  private track(name: string, promise: Promise<Collection>, creating = false): Promise<Collection> {
    const entry: Slot = { state: 'loading', promise };
    this.slots.set(name, entry);
    // A drop during loading removes the entry; the outcome then belongs to nobody.
    const current = () => this.slots.get(name) === entry;
    return promise.then(
      (collection) => {
        if (current()) this.slots.set(name, { state: 'ready', collection });
        return collection;
      },
      (error: Error) => {
        if (creating) {
          if (current()) this.slots.delete(name);
          throw error;
        }
        (this.options.logger ?? defaultLogger()).error({ collection: name, err: error.message }, 'collection failed to open');
        if (current()) this.slots.set(name, { state: 'failed', error });
        throw error;
      },
    );
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
      throw new VectraError('INVALID_ARGUMENT', 'collection name must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"');
    }
  }

  async create(name: string, config: CollectionConfigInput): Promise<Collection> {
    this.checkName(name);
    // Found by the fuzzer: a create right after a drop of the same name renamed onto the
    // dropped collection's directory while it was still closing (ENOTEMPTY, a 500). The name
    // is free once that directory is gone; until then it does not exist (404), and a second
    // create waiting with this one finds the first one's slot (409).
    const dropping = this.dropping.get(name);
    if (dropping) await dropping;
    if (this.slots.has(name)) throw new VectraError('COLLECTION_EXISTS', `collection "${name}" already exists; pick another name or delete it first`);
    const tmp = join(this.root, `.creating-${name}-${randomBytes(4).toString('hex')}`);
    const promise = (async () => {
      const c = await Collection.create(tmp, config, this.optionsFor(name));
      await c.discard();
      renameSync(tmp, join(this.root, name));
      return Collection.open(join(this.root, name), this.optionsFor(name));
    })();
    promise.catch(() => rmSync(tmp, { recursive: true, force: true }));
    // A file system error here may be a full or read-only disk in disguise: say which.
    const explained = promise.catch((e: unknown) => {
      throw (e as { syscall?: unknown }).syscall !== undefined ? (probeDisk(this.root) ?? e) : e;
    });
    return this.track(name, explained, true);
  }

  /** The collection, or COLLECTION_NOT_FOUND / COLLECTION_LOADING. */
  get(name: string): Collection {
    const slot = this.slots.get(name);
    if (!slot) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
    if (slot.state === 'ready') return slot.collection;
    if (slot.state === 'loading') throw new VectraError('COLLECTION_LOADING', `collection "${name}" is still loading; retry shortly`);
    throw new VectraError('INTERNAL', `collection "${name}" failed to open: ${slot.error.message}`);
  }

  has(name: string): boolean {
    return this.slots.has(name);
  }

  names(): string[] {
    return [...this.slots.keys()].sort();
  }

  /** Ready collections by name. */
  collections(): [string, Collection][] {
    return this.names().flatMap((n) => {
      const s = this.slots.get(n)!;
      return s.state === 'ready' ? [[n, s.collection] as [string, Collection]] : [];
    });
  }

  /** Delete a collection and its files. */
  async drop(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) throw new VectraError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist`);
    this.slots.delete(name);
    const done = (async () => {
      if (slot.state === 'loading') await slot.promise.then((c) => c.discard(), () => undefined);
      if (slot.state === 'ready') await slot.collection.discard();
      const gone = join(this.root, `.dropped-${name}-${randomBytes(4).toString('hex')}`);
      renameSync(join(this.root, name), gone);
      rmSync(gone, { recursive: true, force: true });
    })();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.dropping.set(name, settled);
    try {
      await done;
    } finally {
      if (this.dropping.get(name) === settled) this.dropping.delete(name);
    }
  }

  async close(): Promise<void> {
    await this.ready;
    await Promise.all(this.collections().map(([, c]) => c.close()));
    this.slots.clear();
  }
}
