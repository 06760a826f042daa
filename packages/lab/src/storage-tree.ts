import { createHash } from "node:crypto";
import { join } from "node:path";
import { isStoreFailure, isStoreMissing, type Store } from "@regsweep/cleaner";

/** The tree every registry version writes under its root (distribution `registry/storage/paths.go`). */
export const V2_PATH = "docker/registry/v2";

/** The folder every registry version writes under its filesystem root. */
export function registryDataDir(storageRoot: string): string {
  return join(storageRoot, "docker", "registry", "v2");
}

/** Store-relative path of a blob's data (`docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data`). */
export function blobDataPath(digest: string): string {
  const hex = digest.replace(/^sha256:/, "");
  return `${V2_PATH}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

function fail(store: Store, path: string, outcome: unknown): never {
  const message = isStoreFailure(outcome) ? `${outcome.code}: ${outcome.message}` : "no answer";
  throw new Error(`cannot read ${store.describe(path)}: ${message}`);
}

/** Every file under the registry's `v2` tree, relative to it and sorted; `_uploads` left out when asked. */
export async function listStorageFiles(
  store: Store,
  opts: { ignoreUploads?: boolean } = {},
): Promise<string[]> {
  const files: string[] = [];
  for await (const batch of store.walk(V2_PATH)) {
    for (const entry of batch) files.push(entry.path.slice(V2_PATH.length + 1));
  }
  return files.filter((f) => !(opts.ignoreUploads && f.split("/").includes("_uploads"))).sort();
}

/** How many files hold blob data (`blobs/sha256/xx/<hex>/data`), as the seed counts them. */
export async function countBlobs(store: Store): Promise<number> {
  return (await listStorageFiles(store)).filter((f) => f.startsWith("blobs/")).length;
}

/** Whether each path is a file in the store (a blob's data, a journal file). */
export async function filesExist(store: Store, paths: readonly string[]): Promise<boolean[]> {
  const stats = await store.stat(paths);
  return paths.map((path, i) => {
    const s = stats[i];
    if (isStoreMissing(s)) return false;
    if (s === undefined || isStoreFailure(s)) fail(store, path, s);
    return s.kind === "file";
  });
}

/** Whether a blob's data is in the store. */
export async function blobExists(store: Store, digest: string): Promise<boolean> {
  const [exists] = await filesExist(store, [blobDataPath(digest)]);
  return exists === true;
}

/**
 * A fingerprint of the whole tree: every folder and file path with its content hash. Folders are what the
 * store lists: a filesystem's own (empty ones too), a bucket's key prefixes.
 */
export async function snapshotStorage(store: Store): Promise<string> {
  const lines: string[] = [];
  const rel = (path: string) => path.slice(V2_PATH.length + 1);
  async function visit(dir: string): Promise<void> {
    const [listing] = await store.list([dir]);
    if (isStoreMissing(listing)) return;
    if (listing === undefined || isStoreFailure(listing)) fail(store, dir, listing);
    const entries = [...listing].sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.kind === "dir") {
        lines.push(`d ${rel(path)}`);
        await visit(path);
      } else {
        const [body] = await store.read([path]);
        if (!(body instanceof Uint8Array)) fail(store, path, body);
        lines.push(`f ${rel(path)} ${createHash("sha256").update(body).digest("hex")}`);
      }
    }
  }
  await visit(V2_PATH);
  return lines.join("\n");
}

/**
 * Throws unless the registry holds no data: no file at all under `v2` except in `_uploads` (the seed's
 * `assert_that_registry_has_no_data`, which removes uploads and empty folders first). Lists what is left.
 * On a bucket: no key under the prefix's `v2` but upload ones.
 */
export async function expectNoRegistryData(store: Store): Promise<void> {
  const left = await listStorageFiles(store, { ignoreUploads: true });
  if (left.length > 0) {
    throw new Error(
      `registry has data when it should have none; files left in ${store.location}:\n  ${left.join("\n  ")}`,
    );
  }
}
