import { Worker } from "node:worker_threads";
import { StorageIoError } from "../../model/errors.js";
import {
  type BatchRequest,
  type BatchResponse,
  type FileOpName,
  type FileOps,
  fileIoWorker,
  type IoFailure,
  type IoMissing,
  type Outcome,
  type RemoveJob,
} from "./file-io-worker.js";

export type {
  EntryKind,
  IoFailure,
  Outcome,
  PathInfo,
  Removed,
  RemoveJob,
  SmallFile,
} from "./file-io-worker.js";

/**
 * Threads reading by default. Two keep both cores of a small machine busy on a cached tree; more keep more
 * requests in flight on a cold or network disk (16 read a cold 100k-file tree 1.4x faster than 4). Four
 * is the middle.
 */
export const DEFAULT_IO_THREADS = 4;

/**
 * Threads removing by default: unlink and rmdir spend their time in the kernel (journal, discard), where
 * more of them overlap better: 8 removed a 50k-manifest plan's 300k actions 1.2x faster than 4 on 2 cores.
 */
export const DEFAULT_REMOVE_THREADS = 8;

/**
 * Inputs per message: large enough that messaging costs little, small enough to spread the work; whole-
 * folder operations and whole-file reads carry more per input.
 */
const BATCH: Record<FileOpName, number> = {
  list: 32,
  scanLinkTree: 16,
  scanBlobFolder: 4,
  stat: 256,
  readSmall: 256,
  read: 64,
  remove: 256,
  removeTree: 16,
};

export const isFailure = (o: unknown): o is IoFailure => (o as IoFailure)?.failed === true;
export const isMissing = (o: unknown): o is IoMissing => (o as IoMissing)?.missing === true;

/** Options of one run. */
export interface RunOptions<K extends FileOpName> {
  signal?: AbortSignal;
  /** Folder relative paths are relative to (the storage root). */
  base?: string;
  /** Called as each batch comes back, with the index of its first input (for progress). */
  onBatch?: (start: number, results: Array<Outcome<FileOps[K][1]>>) => void;
}

/**
 * An outcome's result, `undefined` when the path is gone (or the batch did not run); a refused operation
 * throws `storage.io`, since deciding anything about a file the system will not show us would be a guess.
 */
export function settled<T>(
  outcome: Outcome<T> | undefined,
  /** The path to name in the error, or how to make it (only made when there is an error). */
  path: string | (() => string),
  doing: "read" | "change" = "read",
): T | undefined {
  if (outcome === undefined || isMissing(outcome)) return undefined;
  if (isFailure(outcome))
    throw new StorageIoError(
      outcome.path || (typeof path === "string" ? path : path()),
      new Error(outcome.message),
      doing,
    );
  return outcome;
}

/**
 * Inputs made one at a time, only as their batch goes to a thread: they die young instead of waiting in the
 * queue long enough to be promoted to the old generation (300k removal jobs were ~120 MB of old garbage).
 */
export interface LazyInputs<T> {
  length: number;
  at(index: number): T;
}

interface Pending {
  request: Omit<BatchRequest, "inputs">;
  /** Makes the batch's inputs, right before it is posted. */
  inputs: () => unknown[];
  /** Checked when the batch would start, so an abort leaves queued batches unrun. */
  signal?: AbortSignal;
  resolve: (results: unknown[] | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * A few threads running batches of synchronous file operations for the storage engine: listing folders,
 * stat, reading small and whole files, removing files and empty folders. Results come back in input order;
 * a path that is gone is `{ missing: true }`, any other error `{ failed: true, code, … }`, never a throw.
 */
export class FileIoPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, { worker: Worker; pending: Pending }>();
  private nextId = 0;
  private broken: unknown;

  constructor(private readonly threads = DEFAULT_IO_THREADS) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be ≥ 1, not ${threads}`);
  }

  /** Entries of each folder, with their kinds. */
  list(paths: readonly string[], options?: RunOptions<"list">) {
    return this.run("list", paths, options);
  }
  /** Each `<alg>/<hex>/link` tree: every link's text and mtime, and what the folders without one hold. */
  scanLinkTrees(roots: readonly string[], options?: RunOptions<"scanLinkTree">) {
    return this.run("scanLinkTree", roots, options);
  }
  /** Each `blobs/<alg>/<2 hex>/` folder: every blob's data kind, size and mtime. */
  scanBlobFolders(dirs: readonly string[], options?: RunOptions<"scanBlobFolder">) {
    return this.run("scanBlobFolder", dirs, options);
  }
  /** lstat: kind, size and mtime, never following a symbolic link. */
  stat(paths: readonly string[], options?: RunOptions<"stat">) {
    return this.run("stat", paths, options);
  }
  /** Kind, size, mtime and, for a regular file, its text (links, `startedat`); never follows a symlink. */
  readSmall(paths: readonly string[], options?: RunOptions<"readSmall">) {
    return this.run("readSmall", paths, options);
  }
  /** Whole files. */
  read(paths: readonly string[], options?: RunOptions<"read">) {
    return this.run("read", paths, options);
  }
  /** Per job: unlink its files, then remove those of its folders (listed deepest first) that are empty. */
  remove(jobs: readonly RemoveJob[], options?: RunOptions<"remove">) {
    return this.run("remove", jobs, options);
  }
  /** Removes folders with everything in them (upload folders); a path that is not a folder is left. */
  removeTree(paths: readonly string[], options?: RunOptions<"removeTree">) {
    return this.run("removeTree", paths, options);
  }

  /**
   * Runs `op` over `inputs` in batches across the threads; results in input order. Once `signal` aborts,
   * batches not yet started are not run and their results are `undefined`; batches already running finish.
   */
  async run<K extends FileOpName>(
    op: K,
    inputs: readonly FileOps[K][0][],
    { signal, onBatch, base }: RunOptions<K> = {},
  ): Promise<Array<Outcome<FileOps[K][1]> | undefined>> {
    const results = new Array<Outcome<FileOps[K][1]> | undefined>(inputs.length);
    await this.each(
      op,
      inputs,
      (start, typed) => {
        for (let i = 0; i < typed.length; i++) results[start + i] = typed[i];
        onBatch?.(start, typed);
      },
      { signal, base },
    );
    return results;
  }

  /**
   * Like `run`, but hands each batch's results to `onBatch` and keeps none, and takes lazy inputs: for
   * long runs (apply's removals) where holding every input and result would only feed the old generation.
   */
  async each<K extends FileOpName>(
    op: K,
    inputs: readonly FileOps[K][0][] | LazyInputs<FileOps[K][0]>,
    onBatch: (start: number, results: Array<Outcome<FileOps[K][1]>>) => void,
    { signal, base }: Omit<RunOptions<K>, "onBatch"> = {},
  ): Promise<void> {
    const make = Array.isArray(inputs)
      ? (start: number, end: number) => inputs.slice(start, end)
      : (start: number, end: number) => {
          const lazy = inputs as LazyInputs<FileOps[K][0]>;
          const out = new Array<FileOps[K][0]>(end - start);
          for (let i = start; i < end; i++) out[i - start] = lazy.at(i);
          return out;
        };
    const batches: Promise<void>[] = [];
    for (let start = 0; start < inputs.length; start += BATCH[op]) {
      const end = Math.min(inputs.length, start + BATCH[op]);
      batches.push(
        this.submit({ op, base }, () => make(start, end), signal).then((out) => {
          if (out) onBatch(start, out as Array<Outcome<FileOps[K][1]>>);
        }),
      );
    }
    await Promise.all(batches);
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    const workers = this.all.splice(0);
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private submit(
    batch: Omit<BatchRequest, "id" | "inputs">,
    inputs: () => unknown[],
    signal?: AbortSignal,
  ): Promise<unknown[] | undefined> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<unknown[] | undefined>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, ...batch }, inputs, signal, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const pending = this.queue.shift() as Pending;
      if (pending.signal?.aborted) {
        pending.resolve(undefined);
        continue;
      }
      const worker = this.idle.pop() ?? this.spawn();
      if (!worker) {
        this.queue.unshift(pending);
        return;
      }
      this.running.set(pending.request.id, { worker, pending });
      worker.postMessage({ ...pending.request, inputs: pending.inputs() });
    }
  }

  private spawn(): Worker | undefined {
    if (this.all.length >= this.threads) return undefined;
    const worker = new Worker(
      `(${fileIoWorker.toString()})(require("node:fs"), require("node:path"), require("node:worker_threads").parentPort)`,
      {
        eval: true,
        // The threads keep nothing between batches: a small young generation keeps each one's memory small
        // (the 50k-manifest read peaked at 380 MB with V8's default, 278 MB with this).
        resourceLimits: { maxYoungGenerationSizeMb: 1 },
      },
    );
    worker.on("message", ({ id, results }: BatchResponse) => {
      const job = this.running.get(id);
      if (!job) return;
      this.running.delete(id);
      this.idle.push(worker);
      job.pending.resolve(results);
      this.dispatch();
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => {
      if (this.all.includes(worker)) this.fail(new Error(`an I/O thread stopped (exit code ${code})`));
    });
    this.all.push(worker);
    return worker;
  }

  /** A thread died: nothing it had can be trusted to have run; every waiting batch fails. */
  private fail(error: unknown): void {
    this.broken ??= error;
    for (const { pending } of this.running.values()) pending.reject(error);
    this.running.clear();
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }
}

/** Runs `fn` with a pool that is closed afterwards, whatever happens. */
export async function withFileIo<T>(
  threads: number | undefined,
  fn: (io: FileIoPool) => Promise<T>,
): Promise<T> {
  const io = new FileIoPool(threads);
  try {
    return await fn(io);
  } finally {
    await io.close();
  }
}
