import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { app, base, d, healthy } from "../test-support/healthy-tree.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { readStorageInventory } from "./read-storage-inventory.js";
import { pathFor } from "./storage-paths.js";
import { verifyBlobDigests } from "./verify-blob-digests.js";

describe("verifyBlobDigests", () => {
  it("finds nothing wrong in a healthy tree and reports every blob checked", async () => {
    const root = await useStorageTree(healthy);
    const inventory = await readStorageInventory(root);
    const events: number[] = [];
    const report = await verifyBlobDigests(root, inventory, {
      concurrency: 2,
      onProgress: (e) => events.push(e.done),
    });
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toBe(inventory.blobs.size);
    expect(events.at(-1)).toBe(inventory.blobs.size);
  });

  it("reports a layer whose bytes were changed, with what it hashes to now", async () => {
    const root = await useStorageTree(healthy);
    await writeFile(join(root, pathFor({ kind: "blob-data", digest: d(app) })), "flipped bits");
    const report = await verifyBlobDigests(root, await readStorageInventory(root));
    expect(report.mismatches).toEqual([
      expect.objectContaining({
        problem: "digest-mismatch",
        digest: d(app),
        actual: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      }),
    ]);
  });

  it("reports a blob that vanished after the inventory was read", async () => {
    const root = await useStorageTree(healthy);
    const inventory = await readStorageInventory(root);
    await rm(join(root, pathFor({ kind: "blob-data", digest: d(base) })));
    const report = await verifyBlobDigests(root, inventory);
    expect(report.mismatches).toEqual([expect.objectContaining({ problem: "unreadable", digest: d(base) })]);
    expect(report.mismatches[0]?.actual).toBeUndefined();
  });
});
