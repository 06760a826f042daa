import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockHeldError } from "./errors.js";

/** regsweep's own folder in a storage root, beside (not inside) `docker/`, so the registry never sees it. */
export const STATE_DIR = ".regsweep";

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
 * Takes the lock that keeps two regsweep runs off one storage tree. A lock whose process is gone (same
 * host) is taken over: after a kill -9 the next run must not need a manual clean-up.
 */
export async function lockStorage(root: string): Promise<StorageLock> {
  const dir = join(root, STATE_DIR);
  const path = join(dir, "lock");
  await mkdir(dir, { recursive: true });
  const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, me, { flag: "wx" });
      const lock: StorageLock = {
        path,
        async release() {
          await rm(path, { force: true });
          await rmdir(dir).catch(() => undefined); // only when empty: a journal may still be there
        },
        async [Symbol.asyncDispose]() {
          await lock.release();
        },
      };
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const text = await readFile(path, "utf8").catch(() => "{}");
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(text) as typeof holder;
      } catch {
        // unreadable lock: treat as held by an unknown process
      }
      if (holder.host === hostname() && typeof holder.pid === "number" && !alive(holder.pid)) {
        await rm(path, { force: true });
        continue;
      }
      throw new LockHeldError(path, text.trim());
    }
  }
  throw new LockHeldError(path, "could not take over a stale lock");
}
