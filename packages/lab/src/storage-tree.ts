import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** The folder every registry version writes under its filesystem root (distribution `registry/storage/paths.go`). */
export function registryDataDir(storageRoot: string): string {
  return join(storageRoot, "docker", "registry", "v2");
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else out.push(path);
  }
}

/** Every file under the registry's `v2` folder, relative to it and sorted; `_uploads` left out when asked. */
export async function listStorageFiles(
  storageRoot: string,
  opts: { ignoreUploads?: boolean } = {},
): Promise<string[]> {
  const root = registryDataDir(storageRoot);
  const files: string[] = [];
  await walk(root, files);
  return files
    .map((f) => relative(root, f))
    .filter((f) => !(opts.ignoreUploads && f.split("/").includes("_uploads")))
    .sort();
}

/** How many files hold blob data (`blobs/sha256/xx/<hex>/data`), as the seed counts them. */
export async function countBlobs(storageRoot: string): Promise<number> {
  return (await listStorageFiles(storageRoot)).filter((f) => f.startsWith("blobs/")).length;
}

/** A fingerprint of the whole tree: every directory and file path with its content hash. */
export async function snapshotStorage(storageRoot: string): Promise<string> {
  const root = registryDataDir(storageRoot);
  const lines: string[] = [];
  async function visit(dir: string): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        lines.push(`d ${relative(root, path)}`);
        await visit(path);
      } else {
        const hash = createHash("sha256")
          .update(await readFile(path))
          .digest("hex");
        lines.push(`f ${relative(root, path)} ${hash}`);
      }
    }
  }
  await visit(root);
  return lines.join("\n");
}

/**
 * Throws unless the registry holds no data: no file at all under `v2` except in `_uploads` (the seed's
 * `assert_that_registry_has_no_data`, which removes uploads and empty folders first). Lists what is left.
 */
export async function expectNoRegistryData(storageRoot: string): Promise<void> {
  const left = await listStorageFiles(storageRoot, { ignoreUploads: true });
  if (left.length > 0) {
    throw new Error(`registry has data when it should have none; files left:\n  ${left.join("\n  ")}`);
  }
}
