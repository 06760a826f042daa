import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FsStore } from "@regsweep/cleaner";
import { afterEach, describe, expect, test } from "vitest";
import {
  blobExists,
  countBlobs,
  expectNoRegistryData,
  registryDataDir,
  snapshotStorage,
} from "./storage-tree.js";

const roots: string[] = [];
const stores: FsStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** The filesystem store over a root (the S3 side runs in the lab's s3 matrix test). */
function open(root: string): FsStore {
  const store = new FsStore(root, { ioThreads: 1 });
  stores.push(store);
  return store;
}

async function tree(files: Record<string, string>, dirs: string[] = []): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "regsweep-lab-tree-"));
  roots.push(root);
  const v2 = registryDataDir(root);
  await mkdir(v2, { recursive: true });
  for (const dir of dirs) await mkdir(join(v2, dir), { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(v2, path)), { recursive: true });
    await writeFile(join(v2, path), content);
  }
  return root;
}

describe("expectNoRegistryData", () => {
  test.each([
    { name: "empty v2", files: {}, dirs: [], empty: true },
    { name: "only empty folders", files: {}, dirs: ["repositories/test/a/_manifests/tags"], empty: true },
    { name: "only uploads", files: { "repositories/test/a/_uploads/u1/data": "x" }, dirs: [], empty: true },
    { name: "a blob", files: { "blobs/sha256/ab/abcd/data": "x" }, dirs: [], empty: false },
    {
      name: "a layer link",
      files: { "repositories/test/a/_layers/sha256/ab/link": "x" },
      dirs: [],
      empty: false,
    },
  ])("$name", async ({ files, dirs, empty }) => {
    const root = await tree(files, dirs);
    if (empty) await expectNoRegistryData(open(root));
    else await expect(expectNoRegistryData(open(root))).rejects.toThrow(/registry has data/);
  });

  test("a storage root without v2 holds no data", async () => {
    const root = await mkdtemp(join(tmpdir(), "regsweep-lab-tree-"));
    roots.push(root);
    await expectNoRegistryData(open(root));
  });
});

test("countBlobs counts only files under blobs/", async () => {
  const root = await tree({ "blobs/sha256/ab/abcd/data": "x", "repositories/r/_layers/sha256/ab/link": "y" });
  expect(await countBlobs(open(root))).toBe(1);
});

test("blobExists finds a blob's data file only", async () => {
  const hex = "ab".padEnd(64, "0");
  const root = await tree({ [`blobs/sha256/ab/${hex}/data`]: "x" }, [
    `blobs/sha256/ab/${"ab".padEnd(64, "1")}`,
  ]);
  const store = open(root);
  expect(await blobExists(store, `sha256:${hex}`)).toBe(true);
  expect(await blobExists(store, `sha256:${"ab".padEnd(64, "1")}`)).toBe(false);
  expect(await blobExists(store, `sha256:${"cd".padEnd(64, "2")}`)).toBe(false);
});

describe("snapshotStorage", () => {
  test("changes when a file's content, a file or an empty folder changes", async () => {
    const root = await tree({ "blobs/sha256/ab/abcd/data": "x" });
    const store = open(root);
    const before = await snapshotStorage(store);
    expect(await snapshotStorage(store)).toBe(before);
    await writeFile(join(registryDataDir(root), "blobs/sha256/ab/abcd/data"), "y");
    const changed = await snapshotStorage(store);
    expect(changed).not.toBe(before);
    await mkdir(join(registryDataDir(root), "repositories"));
    expect(await snapshotStorage(store)).not.toBe(changed);
  });
});
