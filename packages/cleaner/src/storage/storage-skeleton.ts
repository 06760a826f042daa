import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { StorageSymlinkError } from "../model/errors.js";
import { BLOBS_ROOT, REPOSITORIES_ROOT } from "./storage-paths.js";

/** The folders every path regsweep reads or removes goes through, root-relative. */
const SKELETON = ["docker", "docker/registry", "docker/registry/v2", BLOBS_ROOT, REPOSITORIES_ROOT];

/**
 * Throws `storage.symlink` when a folder of the tree's skeleton is a symbolic link (`blobs/` moved to
 * another disk and linked back): every removal below it would change files outside the root. The root
 * itself may be a link; a skeleton folder that is missing is left to the caller.
 */
export async function checkTreeSkeleton(root: string): Promise<void> {
  for (const rel of SKELETON) {
    const path = join(root, rel);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isSymbolicLink()) throw new StorageSymlinkError(path, await readlink(path).catch(() => "?"));
  }
}
