import { image, index, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { readCreatedTimes } from "./read-created-times.js";

describe("readCreatedTimes", () => {
  it("reads config created for images, the newest child's for an index", async () => {
    const old = image({ layers: [layer("o")], created: "2020-01-01T00:00:00Z" });
    const amd = image({ layers: [layer("a")], created: "2021-01-01T00:00:00Z" });
    const arm = image({ layers: [layer("b")], created: "2022-06-01T00:00:00.123456789Z" });
    const multi = index([amd, arm]);
    const root = await useStorageTree({ repositories: { app: { tags: { old, multi } } } });
    const times = await readCreatedTimes(root, await readStorageInventory(root));
    expect(times.get(old.digest as Digest)).toBe(Date.UTC(2020, 0, 1));
    expect(times.get(multi.digest as Digest)).toBe(Date.parse("2022-06-01T00:00:00.123Z"));
  });
});
