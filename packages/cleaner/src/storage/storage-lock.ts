import { hostname } from "node:os";
import { LockHeldError } from "../model/errors.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";

/** regsweep's own folder in a storage root, beside (not inside) `docker/`, so the registry never sees it. */
export const STATE_DIR = ".regsweep";

const LOCK_FILE = `${STATE_DIR}/lock`;

/** The lock's text, or undefined when there is none (or it cannot be read). */
async function readLock(store: Store): Promise<string | undefined> {
  const bytes = await store
    .read([LOCK_FILE])
    .then(([outcome]) => settled(store, outcome, LOCK_FILE))
    .catch(() => undefined);
  return bytes ? Buffer.from(bytes).toString("utf8") : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A held lock; release it when done (also on errors). */
export interface StorageLock extends AsyncDisposable {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock that keeps two regsweep runs off one store: a small file written exclusively. A lock whose
 * process is gone (same host) is taken over: after a kill -9 the next run must not need a manual clean-up.
 */
export async function lockStorage(target: StoreTarget): Promise<StorageLock> {
  const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  return useStore(target, {}, async (store) => {
    const path = store.describe(LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await store.putExclusive(LOCK_FILE, me)) {
        const lock: StorageLock = {
          path,
          async release() {
            // Only a lock still ours: on a store without conditional writes a slower writer may have put its
            // own over it, and removing that would let a third run in beside it. Its folder goes too, only
            // when empty: a journal may still be there.
            await useStore(target, {}, async (s) => {
              if ((await readLock(s)) === me) await s.remove(LOCK_FILE);
            });
          },
          async [Symbol.asyncDispose]() {
            await lock.release();
          },
        };
        return lock;
      }
      const text = (await readLock(store)) ?? "{}";
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(text) as typeof holder;
      } catch {
        // unreadable lock: treat as held by an unknown process
      }
      if (holder.host === hostname() && typeof holder.pid === "number" && !alive(holder.pid)) {
        // Looked at again just before: another run may have taken the stale lock over meanwhile.
        if ((await readLock(store)) === text) await store.remove(LOCK_FILE);
        continue;
      }
      throw new LockHeldError(path, text.trim());
    }
    throw new LockHeldError(path, "could not take over a stale lock");
  });
}
