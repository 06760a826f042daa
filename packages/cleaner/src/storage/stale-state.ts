import { LockHeldError } from "../model/errors.js";
import { settled } from "../stores/outcome.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { Journal } from "./journal.js";
import { lockStorage, STATE_DIR, type StorageLock } from "./storage-lock.js";

/**
 * Clears what a killed run of regsweep left in its own folder that nothing else would remove: its lock, when
 * the holder is gone (same host), and the journal's pieces without their plan (`Journal.clearOrphans`). A
 * run killed after its last deletion leaves them, and a re-run that has nothing to do (or finds a bucket
 * prefix emptied by deleting everything, which is no tree any more) takes no lock and journals nothing. A
 * lock a live run holds, and a journal with its plan (an apply to resume), stay. Where regsweep's folder
 * holds nothing, nothing is written: a prefix that is not a tree at all stays as it was.
 */
export async function clearStaleState(target: StoreTarget): Promise<void> {
  await useStore(target, {}, async (store) => {
    const [listing] = await store.list([STATE_DIR]);
    if (!Array.isArray(settled(store, listing, STATE_DIR))) return;
    let lock: StorageLock;
    try {
      lock = await lockStorage(store);
    } catch (error) {
      if (error instanceof LockHeldError) return;
      throw error;
    }
    try {
      await Journal.clearOrphans(store);
    } finally {
      await lock.release();
    }
  });
}
