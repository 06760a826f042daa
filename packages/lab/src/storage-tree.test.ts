import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { countBlobs, expectNoRegistryData, registryDataDir, snapshotStorage } from "./storage-tree.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

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
    if (empty) await expectNoRegistryData(root);
    else await expect(expectNoRegistryData(root)).rejects.toThrow(/registry has data/);
  });

  test("a storage root without v2 holds no data", async () => {
    const root = await mkdtemp(join(tmpdir(), "regsweep-lab-tree-"));
    roots.push(root);
    await expectNoRegistryData(root);
  });
});

test("countBlobs counts only files under blobs/", async () => {
  const root = await tree({ "blobs/sha256/ab/abcd/data": "x", "repositories/r/_layers/sha256/ab/link": "y" });
  expect(await countBlobs(root)).toBe(1);
});

describe("snapshotStorage", () => {
  test("changes when a file's content, a file or an empty folder changes", async () => {
    const root = await tree({ "blobs/sha256/ab/abcd/data": "x" });
    const before = await snapshotStorage(root);
    expect(await snapshotStorage(root)).toBe(before);
    await writeFile(join(registryDataDir(root), "blobs/sha256/ab/abcd/data"), "y");
    const changed = await snapshotStorage(root);
    expect(changed).not.toBe(before);
    await mkdir(join(registryDataDir(root), "repositories"));
    expect(await snapshotStorage(root)).not.toBe(changed);
  });
});
