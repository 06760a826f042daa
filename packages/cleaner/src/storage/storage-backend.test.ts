import { image, layer } from "@regsweep/testbed";
import { expect, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { treeFiles } from "../test-support/tree-files.js";
import { StorageBackend } from "./storage-backend.js";

const base = layer("backend base");
const kept = image({ layers: [base, layer("backend kept")], salt: "kept" });
const gone = image({ layers: [base, layer("backend gone")], salt: "gone" });

it("a storage tree on disk as a backend: reads, plans, locks, journals and applies like the engine", async () => {
  const root = await useStorageTree({ repositories: { app: { tags: { v1: kept, v2: gone } } } });
  await using backend = new StorageBackend(root, { ioThreads: 2 });
  expect(backend.kind).toBe("storage");
  expect(backend.location).toBe(root);
  expect(backend.root).toBe(root);
  expect(backend.capabilities).toEqual({
    lock: true,
    journal: true,
    deletesBlobs: true,
    folderPrunes: true,
    live: true,
    listsUntagged: true,
  });
  const inventory = await backend.readInventory();
  const created = await backend.readCreatedTimes(inventory);
  expect([...created.keys()].sort()).toEqual([gone.digest, kept.digest].sort());
  const plan = await backend.completePlan(
    planDeletion(inventory, [{ kind: "delete-tag", repository: "app", tag: "v2" }], { graceMs: 0 }),
    () => expect.unreachable(),
  );
  expect(await backend.pending()).toBeUndefined();
  {
    await using lock = await backend.lock();
    expect(lock).toBeDefined();
    const report = await backend.apply(plan);
    expect(report.skipped).toEqual([]);
    expect(report.done).toBe(plan.actions.length);
  }
  await backend.clearStaleState();
  const files = Object.keys(await treeFiles(root));
  expect(files.some((f) => f.includes("/_manifests/tags/v2/"))).toBe(false);
  expect(files.some((f) => f.includes("/_manifests/tags/v1/"))).toBe(true);
  expect(await backend.pending()).toBeUndefined();
});
