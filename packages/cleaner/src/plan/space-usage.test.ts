import { image, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { planDeletion } from "./plan-deletion.js";
import { summarizeSpace } from "./space-usage.js";

describe("summarizeSpace", () => {
  it("splits each repository into unique and shared bytes and attributes what gc would free", async () => {
    const shared = layer("shared base ".repeat(100));
    const onlyA = layer("only in a ".repeat(50));
    const a = image({ layers: [shared, onlyA], salt: "a" });
    const b = image({ layers: [shared], salt: "b" });
    const oldA = image({ layers: [layer("old build of a ".repeat(30))], salt: "old" });
    const root = await useStorageTree({
      repositories: { a: { tags: { latest: { current: a, history: [oldA] } } }, b: { tags: { latest: b } } },
      orphanBlobs: [layer("nobody")],
    });
    const inventory = await readStorageInventory(root);
    const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }]);
    const report = summarizeSpace(inventory, plan);
    const [ra, rb] = report.repositories;
    const sizeOf = (x: { bytes: Buffer }) => x.bytes.length;
    const oldBytes =
      sizeOf(oldA) + (oldA.blobs as Array<{ bytes: Buffer }>).reduce((n, x) => n + sizeOf(x), 0);
    expect(ra?.sharedBytes).toBe(sizeOf(shared));
    expect(rb?.sharedBytes).toBe(sizeOf(shared));
    expect(ra?.totalBytes).toBe((ra?.uniqueBytes ?? 0) + sizeOf(shared));
    expect(ra?.reclaimableBytes).toBe(oldBytes);
    expect(rb?.reclaimableBytes).toBe(0);
    expect(report.unlinkedBytes).toBe(sizeOf(layer("nobody")));
    expect(report.reclaimableBytes).toBe(oldBytes + report.unlinkedBytes);
  });
});
