import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from "node:fs";
import { appendFile, mkdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StorageIoError } from "../../model/errors.js";
import { tagTreesByListing } from "../layout-scans.js";
import type {
  LazyInputs,
  Store,
  StoreCallOptions,
  StoreDeleted,
  StoreDeleteJob,
  StoreEntry,
  StoreLayoutScans,
  StoreSmallFile,
  StoreStat,
  StoreWalkEntry,
} from "../store.js";
import { DEFAULT_IO_THREADS, FileIoPool } from "./file-io-pool.js";

/** Folders listed per round of `walk`: enough for a full batch on every thread. */
const WALK_ROUND = 256;

/** Options of a filesystem store. */
export interface FsStoreOptions {
  /** Threads doing the file I/O (default `DEFAULT_IO_THREADS`). */
  ioThreads?: number;
}

/**
 * The filesystem store: a storage root on a local (or mounted) disk. Its fast paths are its own business:
 * batches of synchronous calls on a few I/O threads (`FileIoPool`), whole-folder layout scans, and inode
 * numbers as the order key so that removals walk the inode table in order.
 */
export class FsStore implements Store {
  readonly capabilities = {
    folders: true,
    symlinks: true,
    listingHasInfo: false,
    atomicExclusive: true,
  } as const;
  readonly scans: StoreLayoutScans;
  private readonly io: FileIoPool;

  constructor(
    /** The storage root (the registry's `rootdirectory`). */
    readonly root: string,
    options: FsStoreOptions = {},
  ) {
    this.io = new FileIoPool(options.ioThreads ?? DEFAULT_IO_THREADS);
    this.scans = {
      scanLinkTrees: (roots, o) => this.io.scanLinkTrees(roots, { ...o, base: this.root }),
      scanBlobFolders: (dirs, o) => this.io.scanBlobFolders(dirs, { ...o, base: this.root }),
      // Listing a folder costs no round trip here; a listing of keys would not see symbolic links.
      scanTagTrees: (dirs, o) => tagTreesByListing(this, this.scans.scanLinkTrees)(dirs, o),
    };
  }

  get location(): string {
    return this.root;
  }

  describe(path: string): string {
    return join(this.root, path);
  }

  list(dirs: readonly string[], options?: StoreCallOptions<StoreEntry[]>) {
    // The threads answer in pairs (cheaper to post); entries are made here, one list at a time.
    const { onBatch, signal } = options ?? {};
    const toEntries = (pairs: unknown) =>
      Array.isArray(pairs) ? pairs.map(([name, kind]) => ({ name, kind }) as StoreEntry) : pairs;
    return this.io
      .run("list", dirs, {
        signal,
        base: this.root,
        onBatch: onBatch && ((start, results) => onBatch(start, results.map(toEntries) as never)),
      })
      .then((results) => results.map(toEntries) as never);
  }

  async *walk(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<StoreWalkEntry[]> {
    let level = [prefix];
    while (level.length > 0 && !options.signal?.aborted) {
      const next: string[] = [];
      for (let start = 0; start < level.length; start += WALK_ROUND) {
        const dirs = level.slice(start, start + WALK_ROUND);
        const listings = await this.io.run("list", dirs, { base: this.root, signal: options.signal });
        const files: StoreWalkEntry[] = [];
        listings.forEach((listing, i) => {
          if (!Array.isArray(listing)) return; // gone, or not a folder (a file given as the prefix)
          for (const [name, kind] of listing) {
            const path = dirs[i] === "" ? name : `${dirs[i]}/${name}`;
            if (kind === "dir") next.push(path);
            else files.push({ path, kind });
          }
        });
        if (files.length > 0) yield files;
      }
      level = next;
    }
  }

  stat(paths: readonly string[], options?: StoreCallOptions<StoreStat>) {
    return this.io.stat(paths, { ...options, base: this.root });
  }

  readSmall(paths: readonly string[], options?: StoreCallOptions<StoreSmallFile>) {
    return this.io.readSmall(paths, { ...options, base: this.root });
  }

  read(paths: readonly string[], options?: StoreCallOptions<Uint8Array>) {
    return this.io.read(paths, { ...options, base: this.root });
  }

  async *readStream(path: string): AsyncIterable<Uint8Array> {
    const file = this.describe(path);
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Uint8Array;
    } catch (error) {
      throw new StorageIoError(file, error as Error, "read");
    }
  }

  delete(
    jobs: readonly StoreDeleteJob[] | LazyInputs<StoreDeleteJob>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void> {
    return this.io.each("remove", jobs, options.onBatch, { signal: options.signal, base: this.root });
  }

  deletePrefix(
    prefixes: readonly string[] | LazyInputs<string>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void> {
    return this.io.each("removeTree", prefixes, options.onBatch, { signal: options.signal, base: this.root });
  }

  async put(path: string, content: Iterable<string | Uint8Array>): Promise<void> {
    const file = this.describe(path);
    // Synchronously on purpose: a piece of a 100 MB plan that lived across an await would be promoted to
    // the old generation (100 MB of garbage for a 50k-manifest plan).
    try {
      mkdirSync(dirname(file), { recursive: true });
      const fd = openSync(file, "w");
      try {
        for (const piece of content) {
          if (typeof piece === "string") writeSync(fd, piece);
          else writeSync(fd, piece);
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new StorageIoError(file, error as Error, "change");
    }
  }

  async putExclusive(path: string, content: string): Promise<boolean> {
    const file = this.describe(path);
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, content, { flag: "wx" });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }

  async append(path: string, text: string): Promise<void> {
    const file = this.describe(path);
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, text);
  }

  async move(from: string, to: string): Promise<void> {
    try {
      await mkdir(dirname(this.describe(to)), { recursive: true });
      await rename(this.describe(from), this.describe(to));
    } catch (error) {
      throw new StorageIoError(this.describe(from), error as Error, "change");
    }
  }

  async remove(path: string): Promise<void> {
    const file = this.describe(path);
    await rm(file, { force: true });
    await rmdir(dirname(file)).catch(() => undefined); // only when empty
  }

  close(): Promise<void> {
    return this.io.close();
  }
}

/** Runs `fn` with a filesystem store that is closed afterwards, whatever happens. */
export async function withFsStore<T>(
  root: string,
  options: FsStoreOptions,
  fn: (store: FsStore) => Promise<T>,
): Promise<T> {
  const store = new FsStore(root, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
