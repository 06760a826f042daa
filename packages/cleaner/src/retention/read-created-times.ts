import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { pathFor } from "../storage/storage-paths.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { readCreatedTimesFrom } from "./created-times.js";

async function readBlob(store: Store, digest: Digest): Promise<Uint8Array | undefined> {
  try {
    const path = pathFor({ kind: "blob-data", digest });
    return settled(store, (await store.read([path]))[0], path);
  } catch {
    return undefined; // a missing or unreadable blob has no known creation time: rules keep such tags
  }
}

/** Options for reading creation times from a storage tree. */
export interface ReadCreatedTimesOptions {
  /** Also every untagged manifest (revisions no tag points at), for listings. Default: tagged only. */
  untagged?: boolean;
  /** Config blobs read at once (default 16: small files, the disk's queue likes a few in flight). */
  concurrency?: number;
}

/**
 * Reads the image creation time (config `created`) of every tagged manifest from a storage tree, offline.
 * An index takes its newest child's; schema1 its top history entry's (as the seed's clean_old_versions did).
 */
export async function readCreatedTimes(
  target: StoreTarget,
  inventory: Inventory,
  options: ReadCreatedTimesOptions = {},
): Promise<Map<Digest, number>> {
  return useStore(target, {}, (store) => readCreatedTimesFromStore(store, inventory, options));
}

async function readCreatedTimesFromStore(
  store: Store,
  inventory: Inventory,
  options: ReadCreatedTimesOptions,
): Promise<Map<Digest, number>> {
  // A digest is one file whichever repository names it: read each once.
  const wanted = new Map<Digest, readonly [string, Digest]>();
  for (const r of inventory.repositories) {
    for (const t of r.tags) if (t.current) wanted.set(t.current, [r.name, t.current]);
    if (options.untagged) for (const v of r.revisions) wanted.set(v.digest, [r.name, v.digest]);
  }
  const blob = (_repository: string, digest: Digest) => readBlob(store, digest);
  return readCreatedTimesFrom(
    inventory,
    wanted.values(),
    { config: blob, schema1: blob },
    options.concurrency ?? 16,
  );
}
