import { StorageIoError, StorageThrottledError } from "../model/errors.js";
import { isStoreFailure, isStoreMissing, type Store, type StoreOutcome } from "./store.js";

/**
 * An outcome's result, `undefined` when the path is gone (or the batch did not run); a refused operation
 * throws `storage.io` (`storage.throttled` when the server kept refusing it as too many) naming the path,
 * since deciding anything about a file the store will not show us would be a guess.
 */
export function settled<T>(
  store: Pick<Store, "describe">,
  outcome: StoreOutcome<T> | undefined,
  /** The store-relative path to name in the error, or how to make it (only made when there is an error). */
  path: string | (() => string),
  doing: "read" | "change" = "read",
): T | undefined {
  if (outcome === undefined || isStoreMissing(outcome)) return undefined;
  if (isStoreFailure(outcome)) {
    const where = outcome.path || store.describe(typeof path === "string" ? path : path());
    throw outcome.throttled
      ? new StorageThrottledError(where, new Error(outcome.message), doing)
      : new StorageIoError(where, new Error(outcome.message), doing);
  }
  return outcome;
}
