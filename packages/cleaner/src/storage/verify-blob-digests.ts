import { createHash } from "node:crypto";
import pLimit from "p-limit";
import { type Digest, parseDigest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Store } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { pathFor } from "./storage-paths.js";

/** Options for re-hashing blob data. */
export interface VerifyBlobOptions {
  /** Files hashed at once (default 8: hashing is CPU-bound, more only queues). */
  concurrency?: number;
  /**
   * Called as blobs are hashed (after each 1 MiB read and each blob done), for progress lines: `done` of
   * `total` blobs, `bytes` hashed so far. The same object each time, updated in place.
   */
  onProgress?: (progress: Readonly<{ done: number; total: number; bytes: number }>) => void;
  signal?: AbortSignal;
}

/** A blob whose data does not hash to the digest it is stored under, or that vanished while verifying. */
export interface BlobMismatch {
  problem: "digest-mismatch" | "unreadable";
  digest: Digest;
  path: string;
  /** The digest the data hashes to; undefined when it could not be read. */
  actual?: Digest;
  detail: string;
}

/** What `verifyBlobDigests` found. */
export interface BlobVerifyReport {
  checked: number;
  bytes: number;
  mismatches: BlobMismatch[];
}

/**
 * Re-hashes every blob of the inventory from disk (streaming, bounded concurrency) and reports those whose
 * content does not match their digest. Reads only; the only effectful part of the check.
 */
export async function verifyBlobDigests(
  target: StoreTarget,
  inventory: Inventory,
  options: VerifyBlobOptions = {},
): Promise<BlobVerifyReport> {
  return useStore(target, {}, (store) => verifyBlobs(store, inventory, options));
}

async function verifyBlobs(
  store: Store,
  inventory: Inventory,
  options: VerifyBlobOptions,
): Promise<BlobVerifyReport> {
  const limit = pLimit(options.concurrency ?? 8);
  const report: BlobVerifyReport = { checked: 0, bytes: 0, mismatches: [] };
  const total = inventory.blobs.size;
  const progress = { done: 0, total, bytes: 0 };
  await Promise.all(
    [...inventory.blobs.keys()].map((digest) =>
      limit(async () => {
        if (options.signal?.aborted) return;
        const relPath = pathFor({ kind: "blob-data", digest });
        const { algorithm } = parseDigest(digest);
        const hash = createHash(algorithm);
        let bytes = 0;
        try {
          for await (const chunk of store.readStream(relPath)) {
            hash.update(chunk);
            bytes += chunk.length;
            progress.bytes += chunk.length;
            options.onProgress?.(progress);
          }
        } catch (error) {
          // The store names the failure (an errno name, an S3 error code); the cause carries it.
          const cause =
            (error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException);
          report.mismatches.push({
            problem: "unreadable",
            digest,
            path: relPath,
            detail: `could not read: ${cause.code ?? String(error)}`,
          });
          return;
        }
        const actual = `${algorithm}:${hash.digest("hex")}` as Digest;
        if (actual !== digest)
          report.mismatches.push({
            problem: "digest-mismatch",
            digest,
            path: relPath,
            actual,
            detail: "content does not hash to its digest",
          });
        report.checked++;
        report.bytes += bytes;
        progress.done = report.checked;
        options.onProgress?.(progress);
      }),
    ),
  );
  report.mismatches.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  return report;
}
