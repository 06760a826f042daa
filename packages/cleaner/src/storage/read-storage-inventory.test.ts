import { image, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import { ReadInterruptedError } from "../model/errors.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { readStorageInventory, type StorageReadProgress } from "./read-storage-inventory.js";

const base = layer("base");
const repositories = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [
    `team/app${i}`,
    { tags: { v1: image({ layers: [base, layer(`app ${i}`)], salt: `${i}` }) } },
  ]),
);

describe("readStorageInventory progress", () => {
  it("counts repositories up to their total and files as they are read, per round, never backwards", async () => {
    const root = await useStorageTree({ repositories });
    const seen: StorageReadProgress[] = [];
    const inventory = await readStorageInventory(root, { onProgress: (p) => seen.push({ ...p }) });
    expect(seen.length).toBeGreaterThan(3);
    // 20 repositories in rounds of 8: the count moves before the read is over.
    expect(seen.some((p) => p.repositories > 0 && p.repositories < 20)).toBe(true);
    const last = seen.at(-1) as StorageReadProgress;
    expect(last).toMatchObject({ phase: "manifests", repositories: 20, repositoriesTotal: 20 });
    expect(last.done).toBe(inventory.manifests.size);
    // Per repository: tag current link, tag index link, revision link, 3 layer links (config, 2 layers);
    // plus every blob data file and every manifest.
    expect(last.files).toBe(20 * 6 + inventory.blobs.size + inventory.manifests.size);
    for (let i = 1; i < seen.length; i++) {
      expect((seen[i] as StorageReadProgress).files).toBeGreaterThanOrEqual(
        (seen[i - 1] as StorageReadProgress).files,
      );
    }
  });
});

describe("readStorageInventory interrupted", () => {
  it("stops between rounds once its signal is aborted, with run.interrupted naming the tree", async () => {
    const root = await useStorageTree({ repositories });
    const controller = new AbortController();
    const seen: StorageReadProgress[] = [];
    const read = readStorageInventory(root, {
      signal: controller.signal,
      // A Ctrl-C while the first round of repositories is being read.
      onProgress: (p) => {
        seen.push({ ...p });
        if (p.repositoriesTotal > 0) controller.abort();
      },
    });
    const error = await read.then(
      () => expect.unreachable("an interrupted read must not return an inventory"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReadInterruptedError);
    expect(error).toMatchObject({ code: "run.interrupted", location: root });
    // It stopped early: not every repository was read, and the blobs and manifests never were.
    const last = seen.at(-1) as StorageReadProgress;
    expect(last.repositories).toBeLessThan(20);
    expect(seen.some((p) => p.phase === "blobs" || p.phase === "manifests")).toBe(false);
  });

  it("reads the whole tree when its signal is never aborted", async () => {
    const root = await useStorageTree({ repositories });
    const inventory = await readStorageInventory(root, { signal: new AbortController().signal });
    expect(inventory.repositories).toHaveLength(20);
  });
});
