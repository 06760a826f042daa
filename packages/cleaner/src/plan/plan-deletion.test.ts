import { image, index, layer, referrer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import {
  InvalidReferenceError,
  NotAStorageTreeError,
  RepositoryNotFoundError,
  TagNotFoundError,
} from "../model/errors.js";
import type { Inventory } from "../model/inventory.js";
import type { PlanRequest } from "../model/plan.js";
import { applyPlan } from "../storage/apply-plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { type TreeSpec, useStorageTree } from "../test-support/storage-tree.js";
import { treeDirs, treeFiles } from "../test-support/tree-files.js";
import { planDeletion } from "./plan-deletion.js";

const base = layer("busybox rootfs");
const imgA = image({ layers: [base, layer("test/a")], salt: "a" });
const imgB = image({ layers: [base, layer("test/a"), layer("test/b")], salt: "b" });

function tagsOf(inv: Inventory, repo: string): Record<string, string | undefined> {
  const r = inv.repositories.find((x) => x.name === repo);
  return Object.fromEntries((r?.tags ?? []).map((t) => [t.name, t.current]));
}
function revisionsOf(inv: Inventory, repo: string): string[] {
  return (inv.repositories.find((x) => x.name === repo)?.revisions ?? []).map((r) => r.digest).sort();
}

/** Plans, applies, and returns the inventory after, with the plan. */
async function run(spec: TreeSpec, requests: PlanRequest[], opts: { graceMs?: number } = {}) {
  const root = await useStorageTree(spec);
  const before = await readStorageInventory(root);
  const plan = planDeletion(before, requests, opts);
  const report = await applyPlan(root, plan);
  const after = await readStorageInventory(root);
  return { root, before, plan, report, after };
}

/** Every blob each kept tag needs is still on disk and linked. */
function expectResolvable(inv: Inventory, repo: string, tag: string) {
  const r = inv.repositories.find((x) => x.name === repo);
  const current = r?.tags.find((t) => t.name === tag)?.current;
  expect(current, `${repo}:${tag} exists`).toBeDefined();
  const stack = [current as `sha256:${string}`];
  while (stack.length) {
    const d = stack.pop() as `sha256:${string}`;
    expect(inv.blobs.has(d), `manifest ${d} of ${repo}:${tag}`).toBe(true);
    expect(
      r?.revisions.some((x) => x.digest === d),
      `revision ${d}`,
    ).toBe(true);
    const m = inv.manifests.get(d);
    if (!m || "problem" in m) throw new Error(`manifest ${d} unreadable`);
    for (const b of m.blobs) {
      expect(inv.blobs.has(b), `blob ${b} of ${repo}:${tag}`).toBe(true);
      expect(
        r?.layers.some((l) => l.digest === b),
        `layer link ${b}`,
      ).toBe(true);
    }
    stack.push(...m.children);
  }
}

describe("planDeletion + applyPlan on declarative trees", () => {
  it("deleting a tag keeps another tag on the same digest and an equal image in another repository", async () => {
    const { after, plan } = await run(
      {
        repositories: {
          "test/a": { tags: { latest: imgA, copy: imgA } },
          "other/a": { tags: { latest: imgA } },
        },
      },
      [{ kind: "delete-tag", repository: "test/a", tag: "latest" }],
    );
    expect(tagsOf(after, "test/a")).toEqual({ copy: imgA.digest });
    expect(plan.summary).toMatchObject({ tags: 1, manifests: 0, blobs: 0 });
    expectResolvable(after, "test/a", "copy");
    expectResolvable(after, "other/a", "latest");
  });

  it("deleting the last tag empties the repository but keeps blobs another repository shares", async () => {
    const { after, plan, root } = await run(
      { repositories: { "test/b": { tags: { latest: imgB } }, "test/a": { tags: { latest: imgA } } } },
      [{ kind: "delete-tag", repository: "test/b", tag: "latest" }],
    );
    expect(after.repositories.map((r) => r.name)).toEqual(["test/a"]);
    expect(plan.summary.repositoriesRemoved).toEqual(["test/b"]);
    // b's own layer and config and manifest go; the two layers shared with a stay.
    expect(plan.summary.blobs).toBe(3);
    expectResolvable(after, "test/a", "latest");
    expect((await treeDirs(root)).filter((d) => d.includes("test/b"))).toEqual([]);
  });

  it("deleting c:1 leaves c:2 (built on it) pullable", async () => {
    const c1 = image({ layers: [base, layer("c")], salt: "c1" });
    const c2 = image({ layers: [base, layer("c"), layer("d")], salt: "c2" });
    const { after } = await run({ repositories: { "test/c": { tags: { "1": c1, "2": c2 } } } }, [
      { kind: "delete-tag", repository: "test/c", tag: "1" },
    ]);
    expect(revisionsOf(after, "test/c")).toEqual([c2.digest]);
    expectResolvable(after, "test/c", "2");
  });

  it("a deleted tag takes the older manifests of its history only when nothing kept needs them", async () => {
    const old1 = image({ layers: [base, layer("v1")], salt: "1" });
    const old2 = image({ layers: [base, layer("v2")], salt: "2" });
    const { after, plan } = await run(
      { repositories: { app: { tags: { latest: { current: imgA, history: [old1, old2] }, stable: old2 } } } },
      [{ kind: "delete-tag", repository: "app", tag: "latest" }],
    );
    expect(revisionsOf(after, "app")).toEqual([old2.digest]);
    expect(plan.summary.manifests).toBe(2);
    expectResolvable(after, "app", "stable");
  });

  it("deleting untagged manifests frees the history of a re-pushed tag and keeps the latest pullable", async () => {
    const v = [1, 2, 3].map((n) => image({ layers: [base, layer(`build ${n}`)], salt: `${n}` }));
    const [v1, v2, v3] = v as [typeof imgA, typeof imgA, typeof imgA];
    const { after, plan } = await run(
      { repositories: { app: { tags: { latest: { current: v3, history: [v1, v2] } } } } },
      [{ kind: "delete-untagged", repository: "app" }],
    );
    expect(revisionsOf(after, "app")).toEqual([v3.digest]);
    expect(plan.actions.filter((a) => a.type === "tag-index-entry")).toHaveLength(2);
    expect(after.repositories[0]?.tags[0]?.index).toEqual([v3.digest]);
    expectResolvable(after, "app", "latest");
    expect(plan.summary.bytesFreed).toBeGreaterThan(0);
  });

  it("untagged cleanup keeps the children of a tagged index and deletes an untagged index with its children", async () => {
    const amd = image({
      layers: [layer("amd64")],
      platform: { os: "linux", architecture: "amd64" },
      format: "oci",
    });
    const arm = image({
      layers: [layer("arm64")],
      platform: { os: "linux", architecture: "arm64" },
      format: "oci",
    });
    const tagged = index([amd, arm]);
    const oldAmd = image({ layers: [layer("old amd64")], format: "oci" });
    const oldIndex = index([oldAmd], "docker");
    const { after, plan } = await run(
      { repositories: { multi: { tags: { v1: tagged }, untagged: [oldIndex] } } },
      [{ kind: "gc", deleteUntagged: true }],
    );
    expect(revisionsOf(after, "multi")).toEqual([tagged.digest, amd.digest, arm.digest].sort());
    expectResolvable(after, "multi", "v1");
    expect(plan.kept.map((k) => k.digest)).toEqual(expect.arrayContaining([amd.digest, arm.digest]));
  });

  it("referrers stay with kept subjects and go with deleted ones, referrer tags included", async () => {
    const kept = image({ layers: [base], salt: "kept" });
    const gone = image({ layers: [base], salt: "gone" });
    const sigKept = referrer(kept);
    const sigGone = referrer(gone);
    const tagSig = image({ layers: [layer("legacy cosign sig")], salt: "sig" });
    const { after } = await run(
      {
        repositories: {
          app: {
            tags: { keep: kept, old: gone, [`${gone.digest.replace(":", "-")}.sig`]: tagSig },
            untagged: [sigKept, sigGone],
          },
        },
      },
      [
        { kind: "delete-tag", repository: "app", tag: "old" },
        { kind: "delete-untagged", repository: "app" },
      ],
    );
    expect(Object.keys(tagsOf(after, "app"))).toEqual(["keep"]);
    expect(revisionsOf(after, "app")).toEqual([kept.digest, sigKept.digest].sort());
  });

  it("deleting a manifest by digest removes the tags pointing at it, like the registry", async () => {
    const { after, plan } = await run({ repositories: { app: { tags: { a: imgA, b: imgA, c: imgB } } } }, [
      { kind: "delete-manifest", repository: "app", digest: imgA.digest as `sha256:${string}` },
    ]);
    expect(Object.keys(tagsOf(after, "app"))).toEqual(["c"]);
    expect(plan.summary.tags).toBe(2);
    expectResolvable(after, "app", "c");
  });

  it("deleting every repository leaves no file and no folder behind", async () => {
    const { root, after } = await run(
      {
        repositories: {
          "test/a": { tags: { latest: imgA } },
          "test/b": { tags: { latest: imgB }, uploads: [{ id: "u1", ageMs: 7_200_000 }] },
        },
      },
      [
        { kind: "delete-repository", repository: "test/a" },
        { kind: "delete-repository", repository: "test/b" },
      ],
    );
    expect(after.repositories).toEqual([]);
    expect(await treeFiles(root)).toEqual({});
    expect(await treeDirs(root)).toEqual([
      "docker",
      "docker/registry",
      "docker/registry/v2",
      "docker/registry/v2/blobs",
      "docker/registry/v2/repositories",
    ]);
  });

  it("deleting a repository also removes the empty folders the registry left in it (an emptied _uploads)", async () => {
    const root = await useStorageTree({
      repositories: { app: { tags: { latest: imgA } }, keep: { tags: { v: imgB } } },
    });
    const { mkdir } = await import("node:fs/promises");
    const { join } = await import("node:path");
    await mkdir(join(root, "docker/registry/v2/repositories/app/_uploads"), { recursive: true });
    const plan = planDeletion(await readStorageInventory(root), [
      { kind: "delete-repository", repository: "app" },
    ]);
    await applyPlan(root, plan);
    expect((await treeDirs(root)).filter((d) => d.includes("repositories/app"))).toEqual([]);
  });

  it("gc sweeps unreferenced blobs, orphan layer links and stale uploads, but not what is younger than the grace period", async () => {
    const root = await useStorageTree({
      repositories: {
        app: {
          tags: { latest: imgA },
          orphanLayers: [layer("orphan link")],
          uploads: [
            { id: "old", ageMs: 48 * 3_600_000 },
            { id: "new", ageMs: 60_000 },
          ],
        },
      },
      orphanBlobs: [layer("orphan blob")],
    });
    const young = await useStorageTree({ repositories: {}, orphanBlobs: [layer("young")], ageMs: 0 });
    const inv = await readStorageInventory(root);
    const plan = planDeletion(inv, [{ kind: "gc", deleteUntagged: false }]);
    expect(
      plan.actions
        .filter((a) => a.type !== "prune")
        .map((a) => a.type)
        .sort(),
    ).toEqual(["blob", "blob", "layer-link", "upload"]);
    await applyPlan(root, plan);
    const after = await readStorageInventory(root);
    expectResolvable(after, "app", "latest");
    expect(after.repositories[0]?.uploads.map((u) => u.id)).toEqual(["new"]);
    const youngPlan = planDeletion(await readStorageInventory(young), [{ kind: "gc", deleteUntagged: true }]);
    expect(youngPlan.actions.filter((a) => a.type === "blob")).toEqual([]);
    const noGrace = planDeletion(await readStorageInventory(young), [{ kind: "gc", deleteUntagged: true }], {
      graceMs: 0,
    });
    expect(noGrace.actions.filter((a) => a.type === "blob")).toHaveLength(1);
  });

  it("orders each phase's removals by the inode of the file they remove (online inventories, without inodes, by digest)", async () => {
    const images = Array.from({ length: 6 }, (_, i) =>
      image({ layers: [layer(`layer ${i}`)], salt: `s${i}` }),
    );
    const root = await useStorageTree({
      repositories: Object.fromEntries(images.map((img, i) => [`repo${i}`, { untagged: [img] }])),
    });
    const inv = await readStorageInventory(root);
    const plan = planDeletion(inv, [{ kind: "gc", deleteUntagged: true }]);
    const { lstat } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { actionPath } = await import("./plan-paths.js");
    for (const type of ["blob", "layer-link", "revision"] as const) {
      const actions = plan.actions.filter((a) => a.type === type);
      expect(actions.length).toBeGreaterThanOrEqual(6);
      const inos = await Promise.all(actions.map(async (a) => (await lstat(join(root, actionPath(a)))).ino));
      expect(inos).toEqual([...inos].sort((a, b) => a - b));
    }
    for (const b of inv.blobs.values()) delete b.orderKey;
    const blobs = planDeletion(inv, [{ kind: "gc", deleteUntagged: true }]).actions.flatMap((a) =>
      a.type === "blob" ? [a.digest] : [],
    );
    expect(blobs).toEqual([...blobs].sort());
  });

  it("an untagged manifest younger than the grace period stays (it may be a child pushed before its index)", async () => {
    const root = await useStorageTree({ repositories: { app: { untagged: [imgA] } }, ageMs: 60_000 });
    const plan = planDeletion(await readStorageInventory(root), [{ kind: "delete-untagged" }]);
    expect(plan.summary.manifests).toBe(0);
    expect(plan.kept[0]?.reason).toMatch(/grace/);
  });

  it("planning and reading change nothing: the tree is byte- and mtime-identical", async () => {
    const root = await useStorageTree({
      repositories: { app: { tags: { latest: { current: imgA, history: [imgB] } } } },
    });
    const before = await treeFiles(root);
    planDeletion(await readStorageInventory(root), [
      { kind: "gc", deleteUntagged: true },
      { kind: "delete-repository", repository: "app" },
    ]);
    expect(await treeFiles(root)).toEqual(before);
  });

  it("applying a plan twice is the same as once, and an interrupted apply converges when re-run", async () => {
    const root = await useStorageTree({
      repositories: {
        app: { tags: { latest: { current: imgA, history: [imgB] }, b: imgB } },
        x: { tags: { v: imgB } },
      },
    });
    const plan = planDeletion(await readStorageInventory(root), [
      { kind: "delete-repository", repository: "app" },
    ]);
    const controller = new AbortController();
    await applyPlan(root, plan, {
      onProgress: (done) => done === 3 && controller.abort(),
      concurrency: 1,
      signal: controller.signal,
    });
    const mid = await readStorageInventory(root);
    expectResolvable(mid, "x", "v");
    await applyPlan(root, plan);
    const once = await treeFiles(root);
    const again = await applyPlan(root, plan);
    expect(again.alreadyGone).toBe(again.done);
    expect(await treeFiles(root)).toEqual(once);
    expectResolvable(await readStorageInventory(root), "x", "v");
  });

  it("gc frees a manifest deleted through the API, whose emptied revision folder the registry left behind", async () => {
    const root = await useStorageTree({
      repositories: { app: { tags: { latest: imgA }, untagged: [imgB] } },
    });
    // What 2.x does on DELETE /v2/app/manifests/<digest>: the revision's link goes, its folder stays.
    const { rm } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const hex = imgB.digest.slice("sha256:".length);
    await rm(join(root, `docker/registry/v2/repositories/app/_manifests/revisions/sha256/${hex}/link`));
    const plan = planDeletion(await readStorageInventory(root), [{ kind: "gc", deleteUntagged: true }], {
      graceMs: 0,
    });
    expect(
      plan.actions.filter((a) => a.type === "blob").map((a) => (a as { digest: string }).digest),
    ).toContain(imgB.digest);
    const report = await applyPlan(root, plan);
    expect(report.skipped).toEqual([]);
    const after = await readStorageInventory(root);
    expect(after.blobs.has(imgB.digest)).toBe(false);
    expectResolvable(after, "app", "latest");
  });

  it("skips a repository whose tag moved since the plan was made", async () => {
    const root = await useStorageTree({ repositories: { app: { tags: { latest: imgA, old: imgB } } } });
    const plan = planDeletion(await readStorageInventory(root), [
      { kind: "delete-tag", repository: "app", tag: "old" },
    ]);
    const { writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    await writeFile(
      join(root, "docker/registry/v2/repositories/app/_manifests/tags/latest/current/link"),
      imgB.digest,
    );
    const report = await applyPlan(root, plan);
    expect(report.staleRepositories).toEqual(["app"]);
    expectResolvable(await readStorageInventory(root), "app", "latest");
  });
});

describe("bad input is refused before anything is touched", () => {
  it.each([
    [{ kind: "delete-repository", repository: "../../etc" }, InvalidReferenceError],
    [{ kind: "delete-repository", repository: "nope" }, RepositoryNotFoundError],
    [{ kind: "delete-tag", repository: "app", tag: "nope" }, TagNotFoundError],
    [{ kind: "delete-tag", repository: "app", tag: "../x" }, InvalidReferenceError],
  ] as Array<[PlanRequest, new (...args: never[]) => Error]>)("%j", async (request, error) => {
    const root = await useStorageTree({ repositories: { app: { tags: { latest: imgA } } } });
    const before = await treeFiles(root);
    const inventory = await readStorageInventory(root);
    expect(() => planDeletion(inventory, [request])).toThrow(error);
    expect(await treeFiles(root)).toEqual(before);
  });

  it("a folder that is not a storage tree", async () => {
    await expect(readStorageInventory("/nonexistent/x")).rejects.toBeInstanceOf(NotAStorageTreeError);
    await expect(readStorageInventory("/tmp")).rejects.toBeInstanceOf(NotAStorageTreeError);
  });
});
