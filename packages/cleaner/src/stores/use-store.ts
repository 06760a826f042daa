import { FsStore, type FsStoreOptions } from "./fs/fs-store.js";
import type { Store } from "./store.js";

/** Where the engine works: a store, or a storage root on disk (opened as the filesystem store). */
export type StoreTarget = string | Store;

/**
 * Runs `fn` with the store a target names. A root is opened as a filesystem store with `options` and closed
 * afterwards, whatever happens; a store given is the caller's and stays open.
 */
export async function useStore<T>(
  target: StoreTarget,
  options: FsStoreOptions,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  if (typeof target !== "string") return fn(target);
  const store = new FsStore(target, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
