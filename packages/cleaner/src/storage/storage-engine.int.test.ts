import {
  availableRegistryVersions,
  catalog,
  expectNotPullable,
  expectPullable,
  findRegistryVersion,
  image,
  index,
  layer,
  pushManifest,
  referrer,
  type StartedRegistry,
  startRegistryProcess,
  type TestManifest,
  tags,
} from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { treeFiles } from "../test-support/tree-files.js";
import { applyPlan } from "./apply-plan.js";
import { readStorageInventory } from "./read-storage-inventory.js";

const versions = availableRegistryVersions();

it("the test bed has real registry versions to run (scripts/setup.sh fetches them)", () => {
  expect(versions, "no registry binary in .cache/registries: run scripts/setup.sh").not.toHaveLength(0);
});

/**
 * Stops the registry, runs the offline engine on its tree, and restarts it on the same tree, in the same
 * handle: whoever disposes `registry` stops the restarted process too.
 */
async function offline(registry: StartedRegistry, requests: PlanRequest[]): Promise<void> {
  await registry.stop();
  const plan = planDeletion(await readStorageInventory(registry.storageRoot), requests, { graceMs: 0 });
  const report = await applyPlan(registry.storageRoot, plan);
  expect(report.skipped).toEqual([]);
  await registry.restart();
}

describe.each(versions)("offline engine on a tree written by registry %s", (version) => {
  const oci = findRegistryVersion(version).accepts.includes("oci-index");

  it("deleting untagged data frees the history of a re-pushed tag; the latest still pulls with every blob", async () => {
    await using registry = await startRegistryProcess({ version });
    const base = layer("busybox");
    let last: TestManifest | undefined;
    for (const n of [1, 2, 3]) {
      last = image({ layers: [base, layer(`build ${n}`)] });
      await pushManifest(registry, "test/a", last, "latest");
    }
    const before = await readStorageInventory(registry.storageRoot);
    expect(before.repositories[0]?.revisions).toHaveLength(3);
    await offline(registry, [{ kind: "delete-untagged", repository: "test/a" }]);
    const after = await readStorageInventory(registry.storageRoot);
    expect(after.repositories[0]?.revisions.map((r) => r.digest)).toEqual([last?.digest]);
    // Before: the shared base, three build layers, three configs, three manifests. After: one image of four blobs.
    expect(before.blobs.size).toBe(10);
    expect(after.blobs.size).toBe(4);
    await expectPullable(registry.host, "test/a:latest", last?.digest);
  });

  it("deleting a tag keeps an equal tag in another repository; deleting c:1 keeps c:2; deleting everything leaves no file", async () => {
    await using registry = await startRegistryProcess({ version });
    const base = layer("busybox");
    const a = image({ layers: [base, layer("a")] });
    const b = image({ layers: [base, layer("a"), layer("b")] });
    const c1 = image({ layers: [base, layer("c")] });
    const c2 = image({ layers: [base, layer("c"), layer("d")] });
    await pushManifest(registry, "test/a", a, "latest");
    await pushManifest(registry, "other/a", a, "latest");
    await pushManifest(registry, "test/b", b, "latest");
    await pushManifest(registry, "test/c", c1, "1");
    await pushManifest(registry, "test/c", c2, "2");

    await offline(registry, [
      { kind: "delete-tag", repository: "test/a", tag: "latest" },
      { kind: "delete-tag", repository: "test/c", tag: "1" },
    ]);
    expect(await catalog(registry.url)).toEqual(["other/a", "test/b", "test/c"]);
    expect(await tags(registry.url, "test/c")).toEqual(["2"]);
    await expectNotPullable(registry.host, "test/a:latest");
    await expectNotPullable(registry.host, "test/c:1");
    await expectPullable(registry.host, "other/a:latest", a.digest);
    await expectPullable(registry.host, "test/b:latest", b.digest);
    await expectPullable(registry.host, "test/c:2", c2.digest);

    await offline(
      registry,
      ["other/a", "test/b", "test/c"].map((repository) => ({ kind: "delete-repository", repository })),
    );
    expect(await catalog(registry.url)).toEqual([]);
    await registry.stop();
    expect(await treeFiles(registry.storageRoot)).toEqual({});
  });

  it.runIf(oci)(
    "multi-arch: gc --delete-untagged keeps the untagged children of a tagged index and follows referrers",
    async () => {
      await using registry = await startRegistryProcess({ version });
      const amd = image({
        layers: [layer("amd64")],
        format: "oci",
        platform: { os: "linux", architecture: "amd64" },
      });
      const arm = image({
        layers: [layer("arm64")],
        format: "oci",
        platform: { os: "linux", architecture: "arm64" },
      });
      const multi = index([amd, arm]);
      const orphan = index([image({ layers: [layer("old")], format: "oci" })]);
      const sig = referrer(amd);
      await pushManifest(registry, "multi", multi, "v1");
      await pushManifest(registry, "multi", orphan);
      await pushManifest(registry, "multi", sig);
      await offline(registry, [{ kind: "gc", deleteUntagged: true }]);
      const inv = await readStorageInventory(registry.storageRoot);
      expect(inv.repositories[0]?.revisions.map((r) => r.digest).sort()).toEqual(
        [multi.digest, amd.digest, arm.digest, sig.digest].sort(),
      );
      await expectPullable(registry.host, "multi:v1", multi.digest);
      await expectPullable(registry.host, `multi@${sig.digest}`, sig.digest);
      await expectNotPullable(registry.host, `multi@${orphan.digest}`);
    },
  );
});
