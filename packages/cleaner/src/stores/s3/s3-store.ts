import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { StorageIoError, StorageThrottledError } from "../../model/errors.js";
import type {
  BlobFolderScan,
  LazyInputs,
  LinkTreeScan,
  Store,
  StoreCallOptions,
  StoreCapabilities,
  StoreDeleted,
  StoreDeleteJob,
  StoreEntry,
  StoreFailure,
  StoreLayoutScans,
  StoreMultipartUpload,
  StoreOutcome,
  StoreSmallFile,
  StoreStat,
  StoreWalkEntry,
  TagTreeScan,
} from "../store.js";
import { type LinkToRead, type ListedKey, linkTreeFromKeys, tagTreeFromKeys } from "./key-trees.js";
import { createS3Client, type S3RequestCounts } from "./s3-client.js";
import { AdaptiveLimit, backoffMs, maxAttemptsFromEnv, retryKind } from "./s3-retry.js";
import { type S3Target, s3Location } from "./s3-target.js";

/**
 * Requests in flight at once (listings, reads, deletes): enough to hide latency, few enough not to throttle;
 * the most, as a server that throttles gets fewer (`AdaptiveLimit`).
 */
export const DEFAULT_S3_CONCURRENCY = 32;
/** Keys per DeleteObjects request: the S3 maximum. */
const DELETE_BATCH = 1000;
/**
 * Keys per DeleteObjects of a delete round, the round's requests sent at once: a server may delete a
 * request's keys one after another (Swift s3api does), so one request of 1000 keys took seconds alone.
 */
export const DELETE_CHUNK = 125;
/** Inputs per `onBatch` call of the batched operations. */
const CALL_BATCH = 256;

/** Options of an S3 store. */
export interface S3StoreOptions {
  /** Requests in flight at once, at most (default `DEFAULT_S3_CONCURRENCY`). */
  concurrency?: number;
  /** A client to use instead of one made from the target (tests of the retry path). */
  client?: S3Client;
  /**
   * How long a best-effort exclusive write waits before reading its object back (stores without
   * conditional writes; default 1 s).
   */
  exclusiveSettleMs?: number;
  /** Keys per page of the presence listing before a delete (tests of its paging; default the server's, 1000). */
  listPageKeys?: number;
  /** Keys per round of `delete` (tests of rounds that overlap; default `DELETE_BATCH`, 1000). */
  deleteRoundKeys?: number;
  /** Given `summary()` when the store closes (the CLI's `-v`). */
  onClose?: (summary: string) => void;
  /**
   * Called just before each request goes out (every attempt), with how many went out before it and its
   * operation (`DeleteObjects`): where a test kills the process at a chosen request (the CLI's
   * `REGSWEEP_TEST_KILL_AT_S3_REQUEST`).
   */
  beforeRequest?: (sentBefore: number, operation: string) => void;
}

/** A multipart upload the server holds (the parts of a blob upload in `_uploads`). */
export type S3MultipartUpload = StoreMultipartUpload;

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; $retryable?: unknown };

/** `DeleteObjects` for a DeleteObjectsCommand: the S3 operation a command sends. */
const operationOf = (command: object) => command.constructor.name.replace(/Command$/, "");
const statusOf = (error: unknown) => (error as SdkError)?.$metadata?.httpStatusCode;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isNotFound = (error: unknown) => {
  const e = error as SdkError;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || statusOf(error) === 404;
};

/**
 * The S3 store: a registry's tree in a bucket, under the driver's `rootdirectory` prefix, through the AWS
 * SDK v3 (any S3-compatible server: AWS, Ceph RGW, Swift s3api, …). Folders are key prefixes, so there
 * are no empty folders to find or prune (a prefix vanishes with its last key). What a listing carries is
 * taken from it: sizes and ages, and the digest of every `<alg>/<hex>/link` whose size is that of
 * `<alg>:<hex>` (only links of another size are read). Every request goes through one limiter that halves
 * what is in flight when the server throttles and grows it back; a throttled (429, 503 SlowDown) or failed
 * (5xx, dropped connection) request is sent again after a jittered, doubling wait, up to `maxAttempts`
 * times (also each key a DeleteObjects answers so for); what still fails is a `StoreFailure` marked
 * temporary (and `throttled`), never a throw from a batched operation.
 */
export class S3Store implements Store {
  readonly scans: StoreLayoutScans;
  readonly location: string;
  /** Requests sent, by operation (every attempt, retries included). */
  readonly requests: S3RequestCounts = new Map();
  /** Attempts per request (`S3Target.maxAttempts`, else `AWS_MAX_ATTEMPTS`, else 8). */
  readonly maxAttempts: number;
  /** Requests in flight at once, at most (`S3StoreOptions.concurrency`); fewer while the server throttles. */
  readonly concurrency: number;
  private readonly client: S3Client;
  private readonly limit: AdaptiveLimit;
  /** Unknown until the first exclusive write: then whether the server honours `If-None-Match: *`. */
  private conditionalWrites: boolean | undefined;
  /** Requests that went out (every attempt), for `beforeRequest`. */
  private sent = 0;

  constructor(
    readonly target: S3Target,
    private readonly options: S3StoreOptions = {},
  ) {
    this.concurrency = options.concurrency ?? DEFAULT_S3_CONCURRENCY;
    this.client = options.client ?? createS3Client(target, this.requests, { maxSockets: this.concurrency });
    this.maxAttempts = target.maxAttempts ?? maxAttemptsFromEnv();
    this.limit = new AdaptiveLimit(this.concurrency);
    this.location = s3Location(target);
    this.scans = {
      scanLinkTrees: (roots, o) => this.batched(roots, (root) => this.scanLinkTree(root), o),
      scanBlobFolders: (dirs, o) => this.batched(dirs, (dir) => this.scanBlobFolder(dir), o),
      scanTagTrees: (dirs, o) => this.batched(dirs, (dir) => this.scanTagTree(dir), o),
    };
  }

  /** What the server refused and this store retried (or gave up on), and the fewest requests in flight it came down to. */
  get pacing(): { throttled: number; transient: number; lowestConcurrency: number } {
    return { ...this.limit.refusals, lowestConcurrency: this.limit.lowest };
  }

  /**
   * One line for a `--verbose` run: requests sent by operation (every attempt), and what the server refused:
   * `s3: 120 requests (ListObjectsV2 80, …); 14 throttled (in flight down to 4 of 32), 0 failed for now`.
   */
  summary(): string {
    const total = [...this.requests.values()].reduce((a, b) => a + b, 0);
    const by = [...this.requests.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    const { throttled, transient, lowestConcurrency } = this.pacing;
    return `s3: ${total} requests (${by || "none"}); ${throttled} throttled (in flight down to ${lowestConcurrency} of ${this.limit.max}), ${transient} failed for now`;
  }

  get capabilities(): StoreCapabilities {
    return {
      folders: false,
      symlinks: false,
      listingHasInfo: true,
      atomicExclusive: this.conditionalWrites !== false,
    };
  }

  describe(path: string): string {
    return `s3://${this.target.bucket}/${this.key(path)}`;
  }

  /** The object key of a store-relative path. */
  key(path: string): string {
    return `${this.target.prefix}${path}`;
  }

  private dirKey(path: string): string {
    return path === "" ? this.target.prefix : `${this.target.prefix}${path.replace(/\/+$/, "")}/`;
  }

  private failure(path: string, error: unknown): StoreFailure {
    const e = error as SdkError;
    const status = statusOf(error);
    return {
      failed: true,
      code: e?.name ?? e?.Code ?? "S3Error",
      message: `${e?.message ?? String(error)}${status ? ` (HTTP ${status})` : ""}`,
      path: this.describe(path),
      temporary: status === undefined || retryKind(error) !== undefined,
      ...(retryKind(error) === "throttled" ? { throttled: true } : {}),
    };
  }

  /** The error to throw for a refused single operation (the lock, the journal): throttled or not. */
  private thrown(path: string, error: unknown, doing: "change" | "read" = "change"): Error {
    return retryKind(error) === "throttled"
      ? new StorageThrottledError(this.describe(path), error, doing)
      : new StorageIoError(this.describe(path), error, doing);
  }

  /** Runs `fn` over the inputs in rounds of `CALL_BATCH`, every request under the store's limiter. */
  private async batched<I, R>(
    inputs: readonly I[] | LazyInputs<I>,
    fn: (input: I) => Promise<StoreOutcome<R>>,
    options: StoreCallOptions<R> = {},
    keep = true,
  ): Promise<Array<StoreOutcome<R> | undefined>> {
    const length = inputs.length;
    const at = (i: number) =>
      ("at" in inputs && typeof inputs.at === "function" ? inputs.at(i) : (inputs as I[])[i]) as I;
    const results = keep ? new Array<StoreOutcome<R> | undefined>(length) : [];
    for (let start = 0; start < length; start += CALL_BATCH) {
      if (options.signal?.aborted) break;
      const round: I[] = [];
      for (let i = start; i < Math.min(length, start + CALL_BATCH); i++) round.push(at(i));
      const answers = await Promise.all(round.map((input) => fn(input)));
      if (keep) for (const [i, a] of answers.entries()) results[start + i] = a;
      options.onBatch?.(start, answers);
    }
    return results;
  }

  /**
   * Every request goes through here: the limiter bounds what is in flight across all operations, and a
   * throttled or failed answer is sent again after `backoffMs` (the wait holds no slot), up to
   * `maxAttempts`; the last answer is thrown.
   */
  private async send<T>(command: object): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.limit.send(() => {
        this.options.beforeRequest?.(this.sent++, operationOf(command));
        return this.client.send(command as never) as Promise<T>;
      });
      if ("value" in answer) return answer.value;
      const kind = retryKind(answer.error);
      if (kind === "throttled") this.limit.throttled(answer.sentAt);
      else if (kind === "transient") this.limit.failed();
      if (kind === undefined || attempt >= this.maxAttempts) throw answer.error;
      await sleep(backoffMs(attempt, kind, answer.error));
    }
  }

  /** Every page of a listing below `prefix` (a key prefix), with or without a `/` delimiter. */
  private async *pages(prefix: string, delimiter?: string): AsyncIterable<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.send<ListObjectsV2CommandOutput>(
        new ListObjectsV2Command({
          Bucket: this.target.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          ...(delimiter ? { Delimiter: delimiter } : {}),
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Keys (relative to `prefix`) with size and mtime of everything below a key prefix. */
  private async listAll(prefix: string): Promise<ListedKey[]> {
    const all: ListedKey[] = [];
    for await (const page of this.pages(prefix)) {
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        all.push({
          rel: o.Key.slice(prefix.length),
          size: o.Size ?? 0,
          mtimeMs: o.LastModified?.getTime() ?? 0,
        });
      }
    }
    return all;
  }

  list(dirs: readonly string[], options?: StoreCallOptions<StoreEntry[]>) {
    return this.batched(
      dirs,
      async (dir): Promise<StoreOutcome<StoreEntry[]>> => {
        const prefix = this.dirKey(dir);
        try {
          const entries: StoreEntry[] = [];
          for await (const page of this.pages(prefix, "/")) {
            for (const p of page.CommonPrefixes ?? []) {
              if (p.Prefix) entries.push({ name: p.Prefix.slice(prefix.length, -1), kind: "dir" });
            }
            for (const o of page.Contents ?? []) {
              if (o.Key && o.Key !== prefix) entries.push({ name: o.Key.slice(prefix.length), kind: "file" });
            }
          }
          return entries.length === 0 ? { missing: true } : entries;
        } catch (error) {
          return this.failure(dir, error);
        }
      },
      options,
    );
  }

  async *walk(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<StoreWalkEntry[]> {
    const base = this.target.prefix.length;
    const pages = this.pages(this.dirKey(prefix))[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<ListObjectsV2CommandOutput>;
      try {
        next = await pages.next();
      } catch (error) {
        throw this.thrown(prefix, error, "read");
      }
      if (next.done) return;
      const page = next.value;
      if (options.signal?.aborted) return;
      const files: StoreWalkEntry[] = [];
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key.endsWith("/")) continue;
        files.push({
          path: o.Key.slice(base),
          kind: "file",
          size: o.Size ?? 0,
          mtimeMs: o.LastModified?.getTime() ?? 0,
        });
      }
      if (files.length > 0) yield files;
    }
  }

  /** A path with no object of its own may still be a folder: a prefix with keys below it. */
  private async isDir(path: string): Promise<boolean> {
    const page = await this.send<ListObjectsV2CommandOutput>(
      new ListObjectsV2Command({ Bucket: this.target.bucket, Prefix: this.dirKey(path), MaxKeys: 1 }),
    );
    return (page.Contents?.length ?? 0) > 0;
  }

  private async statOne(path: string): Promise<StoreOutcome<StoreStat>> {
    try {
      const head = await this.send<{ ContentLength?: number; LastModified?: Date }>(
        new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.key(path) }),
      );
      return { kind: "file", size: head.ContentLength ?? 0, mtimeMs: head.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (!isNotFound(error)) return this.failure(path, error);
      try {
        return (await this.isDir(path)) ? { kind: "dir", size: 0, mtimeMs: 0 } : { missing: true };
      } catch (listError) {
        return this.failure(path, listError);
      }
    }
  }

  stat(paths: readonly string[], options?: StoreCallOptions<StoreStat>) {
    return this.batched(paths, (p) => this.statOne(p), options);
  }

  private async getOne(path: string): Promise<StoreOutcome<{ bytes: Uint8Array; mtimeMs: number }>> {
    try {
      const got = await this.send<{
        Body?: { transformToByteArray(): Promise<Uint8Array> };
        LastModified?: Date;
      }>(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key(path) }));
      const bytes = (await got.Body?.transformToByteArray()) ?? new Uint8Array();
      return { bytes, mtimeMs: got.LastModified?.getTime() ?? 0 };
    } catch (error) {
      return isNotFound(error) ? { missing: true } : this.failure(path, error);
    }
  }

  readSmall(paths: readonly string[], options?: StoreCallOptions<StoreSmallFile>) {
    return this.batched(
      paths,
      async (path): Promise<StoreOutcome<StoreSmallFile>> => {
        const got = await this.getOne(path);
        if ("bytes" in got) {
          return {
            kind: "file",
            size: got.bytes.length,
            mtimeMs: got.mtimeMs,
            text: new TextDecoder().decode(got.bytes),
          };
        }
        if (!("missing" in got)) return got;
        try {
          return (await this.isDir(path)) ? { kind: "dir", size: 0, mtimeMs: 0 } : got;
        } catch (error) {
          return this.failure(path, error);
        }
      },
      options,
    );
  }

  read(paths: readonly string[], options?: StoreCallOptions<Uint8Array>) {
    return this.batched(
      paths,
      async (path): Promise<StoreOutcome<Uint8Array>> => {
        const got = await this.getOne(path);
        return "bytes" in got ? got.bytes : got;
      },
      options,
    );
  }

  async *readStream(path: string): AsyncIterable<Uint8Array> {
    try {
      const got = await this.send<{ Body?: AsyncIterable<Uint8Array> }>(
        new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key(path) }),
      );
      if (got.Body) for await (const chunk of got.Body) yield chunk;
    } catch (error) {
      throw this.thrown(path, error, "read");
    }
  }

  /**
   * Deletes keys with DeleteObjects; returns why each key that is still there failed. Keys the answer
   * names as throttled or failed for now (it answers 200 and lists them) are sent again after a wait, up
   * to `maxAttempts` rounds.
   */
  private async deleteKeys(keys: readonly string[]): Promise<Map<string, unknown>> {
    const failed = new Map<string, unknown>();
    let pending = [...keys];
    for (let attempt = 1; pending.length > 0; attempt++) {
      let out: { Errors?: Array<{ Key?: string; Code?: string; Message?: string }> };
      const sentAt = this.limit.current;
      try {
        out = await this.send(
          new DeleteObjectsCommand({
            Bucket: this.target.bucket,
            Delete: { Objects: pending.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (error) {
        for (const k of pending) failed.set(k, error);
        break;
      }
      const again: string[] = [];
      let cause: unknown;
      for (const e of out.Errors ?? []) {
        if (!e.Key || e.Code === "NoSuchKey") continue;
        const error = Object.assign(new Error(e.Message ?? e.Code ?? "delete failed"), { name: e.Code });
        if (retryKind(error) !== undefined && attempt < this.maxAttempts) {
          again.push(e.Key);
          cause ??= error;
        } else failed.set(e.Key, error);
      }
      if (again.length === 0) break;
      const kind = retryKind(cause) ?? "transient";
      if (kind === "throttled") this.limit.throttled(sentAt);
      else this.limit.failed();
      await sleep(backoffMs(attempt, kind, cause));
      pending = again;
    }
    return failed;
  }

  /**
   * Which of `paths` are there, by key. A plan's deletions are dense in key order (most blobs of a
   * `blobs/sha256/` range, every link of a repository), so one ranged listing answers up to a thousand keys
   * where HEAD costs one request each (HEADs were 80% of a real run's requests on Swift). The listing runs
   * from the first key (sorted as S3 sorts, by UTF-8 bytes) below the keys' common prefix and stops after
   * the last, or once it has cost a quarter of the HEADs it saves; keys it did not reach, and all of them
   * when it fails, are HEADed as before.
   */
  private async presence(paths: readonly string[]): Promise<Map<string, StoreOutcome<StoreStat>>> {
    const answers = new Map<string, StoreOutcome<StoreStat>>();
    const byKey = new Map(paths.map((p) => [this.key(p), p]));
    const keys = [...byKey.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const first = keys[0];
    const last = keys.at(-1);
    let reached: string | undefined; // every key up to and including this one is answered
    if (first !== undefined && last !== undefined && keys.length >= 8) {
      let prefix = first;
      // Never end the prefix inside a surrogate pair: it would no longer encode as the keys do.
      while (!last.startsWith(prefix) || /[\uD800-\uDBFF]$/.test(prefix)) prefix = prefix.slice(0, -1);
      const budget = Math.floor(keys.length / 4);
      const listed = new Map<string, StoreStat>();
      try {
        let token: string | undefined;
        let pages = 0;
        let done = false;
        // StartAfter is exclusive: the first key is HEADed with the keys the listing does not reach.
        do {
          const page = await this.send<ListObjectsV2CommandOutput>(
            new ListObjectsV2Command({
              Bucket: this.target.bucket,
              Prefix: prefix,
              ...(this.options.listPageKeys ? { MaxKeys: this.options.listPageKeys } : {}),
              ...(token ? { ContinuationToken: token } : { StartAfter: first }),
            }),
          );
          pages++;
          let lastSeen: string | undefined;
          for (const o of page.Contents ?? []) {
            if (o.Key === undefined) continue;
            lastSeen = o.Key;
            if (Buffer.compare(Buffer.from(o.Key), Buffer.from(last)) > 0) {
              done = true;
              break;
            }
            if (byKey.has(o.Key))
              listed.set(o.Key, { kind: "file", size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 });
          }
          token = page.IsTruncated && !done ? page.NextContinuationToken : undefined;
          if (token === undefined) reached = done || !page.IsTruncated ? last : lastSeen;
          else reached = lastSeen;
        } while (token !== undefined && pages < budget);
      } catch {
        reached = undefined;
        listed.clear();
      }
      if (reached !== undefined) {
        const upTo = Buffer.from(reached);
        for (const k of keys.slice(1)) {
          if (Buffer.compare(Buffer.from(k), upTo) > 0) break;
          answers.set(k, listed.get(k) ?? { missing: true });
        }
      }
    }
    const rest = keys.filter((k) => !answers.has(k));
    const heads = await Promise.all(rest.map((k) => this.statOne(byKey.get(k) as string)));
    for (const [i, k] of rest.entries()) answers.set(k, heads[i] as StoreOutcome<StoreStat>);
    return answers;
  }

  async delete(
    jobs: readonly StoreDeleteJob[] | LazyInputs<StoreDeleteJob>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void> {
    // Rounds of jobs up to DELETE_BATCH keys: each key's presence (what was there is what the report counts;
    // DeleteObjects answers the same for a key that never was), then DeleteObjects for the present keys.
    // The jobs of one call are independent of each other, so rounds overlap: one round's DeleteObjects fill
    // at most DELETE_BATCH / DELETE_CHUNK of the limiter's slots, and a round's presence listing leaves them
    // idle. One round at a time kept about 7 DeleteObjects in flight of 32 on Swift (10k-manifest bench).
    const at = (i: number) =>
      ("at" in jobs && typeof jobs.at === "function"
        ? jobs.at(i)
        : (jobs as StoreDeleteJob[])[i]) as StoreDeleteJob;
    const roundKeys = this.options.deleteRoundKeys ?? DELETE_BATCH;
    const roundsInFlight = Math.ceil(this.concurrency / Math.ceil(roundKeys / DELETE_CHUNK)) + 1;
    const running = new Set<Promise<void>>();
    let thrown: { error: unknown } | undefined;
    let start = 0;
    while (start < jobs.length && !thrown && !options.signal?.aborted) {
      const round: StoreDeleteJob[] = [];
      let keys = 0;
      while (start + round.length < jobs.length) {
        const job = at(start + round.length);
        if (round.length > 0 && keys + job.files.length > roundKeys) break;
        round.push(job);
        keys += job.files.length;
      }
      const first = start;
      start += round.length;
      const done: Promise<void> = this.deleteRound(round)
        .then((results) => options.onBatch(first, results))
        .catch((error: unknown) => {
          thrown ??= { error };
        })
        .finally(() => running.delete(done));
      running.add(done);
      if (running.size >= roundsInFlight) await Promise.race(running);
    }
    await Promise.all(running);
    if (thrown) throw thrown.error;
  }

  /** One round of `delete`: the presence of its jobs' keys, then DeleteObjects of those present. */
  private async deleteRound(round: readonly StoreDeleteJob[]): Promise<Array<StoreOutcome<StoreDeleted>>> {
    const presence = await this.presence(round.flatMap((job) => job.files));
    const present = round.map((job) => job.files.map((f) => presence.get(this.key(f))));
    const toDelete: string[] = [];
    for (const [j, job] of round.entries()) {
      for (const [k, f] of job.files.entries()) {
        const s = present[j]?.[k];
        if (s && !("missing" in s) && !("failed" in s)) toDelete.push(this.key(f));
      }
    }
    const failed = new Map<string, unknown>();
    const chunks: string[][] = [];
    for (let i = 0; i < toDelete.length; i += DELETE_CHUNK) chunks.push(toDelete.slice(i, i + DELETE_CHUNK));
    for (const chunk of await Promise.all(chunks.map((c) => this.deleteKeys(c))))
      for (const [k, e] of chunk) failed.set(k, e);
    return round.map((job, j) => {
      let files = 0;
      for (const [k, f] of job.files.entries()) {
        const s = present[j]?.[k];
        if (s && "failed" in s) return s;
        const why = failed.get(this.key(f));
        if (why !== undefined) return this.failure(f, why);
        if (s && !("missing" in s)) files++;
      }
      return { files, dirs: 0 };
    });
  }

  async deletePrefix(
    prefixes: readonly string[] | LazyInputs<string>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void> {
    await this.batched(
      prefixes,
      async (path): Promise<StoreOutcome<StoreDeleted>> => {
        try {
          const prefix = this.dirKey(path);
          const keys = (await this.listAll(prefix)).map((o) => prefix + o.rel);
          for (let i = 0; i < keys.length; i += DELETE_BATCH) {
            const failed = await this.deleteKeys(keys.slice(i, i + DELETE_BATCH));
            const [first] = failed;
            if (first) return this.failure(first[0].slice(this.target.prefix.length), first[1]);
          }
          return { files: keys.length, dirs: 0 };
        } catch (error) {
          return this.failure(path, error);
        }
      },
      options,
      false,
    );
  }

  async put(path: string, content: Iterable<string | Uint8Array>): Promise<void> {
    const pieces: Uint8Array[] = [];
    for (const piece of content) pieces.push(typeof piece === "string" ? Buffer.from(piece) : piece);
    try {
      await this.send(
        new PutObjectCommand({
          Bucket: this.target.bucket,
          Key: this.key(path),
          Body: Buffer.concat(pieces),
        }),
      );
    } catch (error) {
      throw this.thrown(path, error);
    }
  }

  /**
   * `If-None-Match: *` where the server honours it (AWS since 2024, Ceph RGW): atomic. Where it answers
   * 501 (Swift s3api), best effort: look, write, wait `exclusiveSettleMs`, read back, and hold only if the
   * object is still ours. Two runs starting within that window can both lose (then both stop), and a
   * writer slower than the window can overwrite a winner: see README, "Locks on object storage".
   */
  async putExclusive(path: string, content: string): Promise<boolean> {
    const key = this.key(path);
    if (this.conditionalWrites !== false) {
      try {
        await this.send(
          new PutObjectCommand({ Bucket: this.target.bucket, Key: key, Body: content, IfNoneMatch: "*" }),
        );
        this.conditionalWrites = true;
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 409) {
          this.conditionalWrites = true;
          return false;
        }
        if (status !== 501 && (error as SdkError)?.name !== "NotImplemented") throw this.thrown(path, error);
        this.conditionalWrites = false;
      }
    }
    try {
      const [seen] = await this.stat([path]);
      if (seen && !("missing" in seen)) return false;
      await this.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: key, Body: content }));
      await new Promise((r) => setTimeout(r, this.options.exclusiveSettleMs ?? 1_000));
      const [back] = await this.read([path]);
      return back instanceof Uint8Array && new TextDecoder().decode(back) === content;
    } catch (error) {
      throw error instanceof StorageIoError || error instanceof StorageThrottledError
        ? error
        : this.thrown(path, error);
    }
  }

  /** Copy then delete: S3 has no rename (the journal's plan is put in place once, after it is written whole). */
  async move(from: string, to: string): Promise<void> {
    try {
      await this.send(
        new CopyObjectCommand({
          Bucket: this.target.bucket,
          Key: this.key(to),
          CopySource: `${this.target.bucket}/${encodeURIComponent(this.key(from)).replaceAll("%2F", "/")}`,
        }),
      );
    } catch (error) {
      throw this.thrown(from, error);
    }
    await this.remove(from);
  }

  async remove(path: string): Promise<void> {
    try {
      await this.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.key(path) }));
    } catch (error) {
      if (!isNotFound(error)) throw this.thrown(path, error);
    }
  }

  /** Multipart uploads in progress below a path (blob uploads' parts, invisible to listings). */
  async listMultipartUploads(path: string): Promise<S3MultipartUpload[]> {
    const uploads: S3MultipartUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.send<{
        Uploads?: Array<{ Key?: string; UploadId?: string; Initiated?: Date }>;
        IsTruncated?: boolean;
        NextKeyMarker?: string;
        NextUploadIdMarker?: string;
      }>(
        new ListMultipartUploadsCommand({
          Bucket: this.target.bucket,
          Prefix: this.dirKey(path),
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      ).catch((error) => {
        throw this.thrown(path, error, "read");
      });
      for (const u of page.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined) continue;
        uploads.push({
          path: u.Key.slice(this.target.prefix.length),
          uploadId: u.UploadId,
          initiatedMs: u.Initiated?.getTime() ?? 0,
        });
      }
      if (!page.IsTruncated) return uploads;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** Aborts multipart uploads (their parts are freed); an upload already gone counts as done. */
  abortMultipartUploads(
    uploads: readonly S3MultipartUpload[],
    options?: StoreCallOptions<{ aborted: boolean }>,
  ): Promise<Array<StoreOutcome<{ aborted: boolean }> | undefined>> {
    return this.batched(
      uploads,
      async (u): Promise<StoreOutcome<{ aborted: boolean }>> => {
        try {
          await this.send(
            new AbortMultipartUploadCommand({
              Bucket: this.target.bucket,
              Key: this.key(u.path),
              UploadId: u.uploadId,
            }),
          );
          return { aborted: true };
        } catch (error) {
          return (error as SdkError)?.name === "NoSuchUpload" || isNotFound(error)
            ? { aborted: false }
            : this.failure(u.path, error);
        }
      },
      options,
    );
  }

  private scanLinkTree(root: string): Promise<StoreOutcome<LinkTreeScan>> {
    return this.scanKeys(root, linkTreeFromKeys);
  }

  /** One listing of a tags folder answers every tag in it (it was three listings a tag). */
  private scanTagTree(dir: string): Promise<StoreOutcome<TagTreeScan>> {
    return this.scanKeys(dir, tagTreeFromKeys);
  }

  /** Lists every key below `dir`, views them as a scan, and reads the links the keys could not give. */
  private async scanKeys<T>(
    dir: string,
    view: (keys: ListedKey[]) => { scan: T; reads: LinkToRead[] },
  ): Promise<StoreOutcome<T>> {
    let keys: ListedKey[];
    try {
      keys = await this.listAll(this.dirKey(dir));
    } catch (error) {
      return this.failure(dir, error);
    }
    if (keys.length === 0) return { missing: true };
    const { scan, reads } = view(keys);
    return (await this.readLinks(dir, reads)) ?? scan;
  }

  /** Reads the links a listing could not give (below `root`); a refused read is the scan's answer. */
  private async readLinks(root: string, reads: readonly LinkToRead[]): Promise<StoreFailure | undefined> {
    if (reads.length === 0) return undefined;
    const texts = await this.readSmall(reads.map((r) => `${root}/${r.rel}`));
    for (const [i, r] of reads.entries()) {
      const t = texts[i];
      if (t && "failed" in t) return t;
      if (t && "text" in t && t.text !== undefined) r.apply(t.text);
    }
    return undefined;
  }

  private async scanBlobFolder(dir: string): Promise<StoreOutcome<BlobFolderScan>> {
    let keys: Array<{ rel: string; size: number; mtimeMs: number }>;
    try {
      keys = await this.listAll(this.dirKey(dir));
    } catch (error) {
      return this.failure(dir, error);
    }
    if (keys.length === 0) return { missing: true };
    type Entry = { kind: "f" | "d"; data?: { size: number; mtimeMs: number } };
    const entries = new Map<string, Entry>();
    for (const k of keys) {
      const [name, ...rest] = k.rel.split("/");
      if (name === undefined || name === "") continue;
      const entry = entries.get(name) ?? { kind: rest.length === 0 ? "f" : "d" };
      if (rest.length > 0) entry.kind = "d";
      if (rest.length === 1 && rest[0] === "data") entry.data = { size: k.size, mtimeMs: k.mtimeMs };
      entries.set(name, entry);
    }
    const names = [...entries.keys()];
    const scan: BlobFolderScan = {
      entries: names,
      kinds: "",
      data: "",
      sizes: new Float64Array(names.length),
      mtimes: new Float64Array(names.length),
      order: new Float64Array(names.length),
    };
    names.forEach((name, i) => {
      const entry = entries.get(name) as Entry;
      scan.kinds += entry.kind;
      if (entry.kind === "f") scan.data += "-";
      else if (!entry.data) scan.data += "N";
      else {
        scan.data += "F";
        scan.sizes[i] = entry.data.size;
        scan.mtimes[i] = entry.data.mtimeMs;
      }
    });
    return scan;
  }

  async close(): Promise<void> {
    this.options.onClose?.(this.summary());
    this.client.destroy();
  }
}
