import { stat } from "node:fs/promises";
import { join } from "node:path";
import { NotAStorageTreeError } from "../../model/errors.js";
import { V2_ROOT } from "../../storage/storage-paths.js";
import { checkTreeSkeleton } from "../../storage/storage-skeleton.js";
import { FsStore, type FsStoreOptions } from "./fs-store.js";

/**
 * Opens a storage root as the filesystem store, refusing one that is not a storage tree with what is
 * wrong (missing, not a folder, no `docker/registry/v2`): the commonest mistake at 3 a.m. is a wrong path;
 * and one whose skeleton folders are symbolic links (`storage.symlink`: deleting would reach outside it).
 */
export async function openFsStore(root: string, options: FsStoreOptions = {}): Promise<FsStore> {
  const v2Stat = await stat(join(root, V2_ROOT)).catch(() => undefined);
  if (!v2Stat?.isDirectory()) {
    const rootStat = await stat(root).catch(() => undefined);
    throw new NotAStorageTreeError(
      root,
      !rootStat
        ? "it does not exist"
        : !rootStat.isDirectory()
          ? "it is not a directory"
          : `it has no ${V2_ROOT} folder (give the registry's rootdirectory, e.g. /var/lib/registry)`,
    );
  }
  await checkTreeSkeleton(root);
  return new FsStore(root, options);
}
