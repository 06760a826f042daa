import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { image, layer, type TestManifest } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import type { Plan, PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { applyPlan } from "../storage/apply-plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { pathFor, type StoragePath } from "../storage/storage-paths.js";
import { withFsStore } from "../stores/fs/fs-store.js";
import { type TreeSpec, useStorageTree } from "../test-support/storage-tree.js";
import type { DescriptorCacheEvictor, EvictionEntry } from "./descriptor-cache-evictor.js";
import type { LiveOptions } from "./live-deletion.js";
import { Quarantine } from "./quarantine.js";

// Each race of docs/live-gc.md, played by writing into the tree exactly what the registry writes, at the
// moment of the deletion where it hurts: while the plan's items are held aside (the settle wait).

/** What a serving registry writes for a request, with fresh mtimes. */
function registryWrites(root: string) {
  const write = async (item: StoragePath, content: string | Buffer) => {
    const path = join(root, pathFor(item));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  };
  return {
    /** A manifest put (by tag, or by digest only): its blob, its revision link, the tag. No layer upload. */
    async putManifest(repository: string, m: TestManifest, tag?: string) {
      await write({ kind: "blob-data", digest: m.digest as Digest }, m.bytes);
      await write({ kind: "revision-link", repository, digest: m.digest as Digest }, m.digest);
      if (tag) {
        await write({ kind: "tag-index-link", repository, tag, digest: m.digest as Digest }, m.digest);
        await write({ kind: "tag-current-link", repository, tag }, m.digest);
      }
    },
    /** A cross-repository mount: the target repository's layer link only. */
    async mount(repository: string, digest: string) {
      await write({ kind: "layer-link", repository, digest: digest as Digest }, digest);
    },
  };
}

/** An evictor that records what it was asked to evict (the redis one is tested on a real redis). */
function recordingEvictor(fail = false): DescriptorCacheEvictor & { entries: EvictionEntry[] } {
  const entries: EvictionEntry[] = [];
  return {
    entries,
    async evict(list) {
      if (fail) throw Object.assign(new Error("redis went away"), { code: "cache.unreachable" });
      entries.push(...list);
      return list.length;
    },
    async close() {},
  };
}

/**
 * Plans `requests` on the tree, then applies live; `during(n)` runs inside the n-th settle wait (0-based,
 * one per group of removals: revisions, layer links, blobs…), i.e. while that group is held aside.
 */
async function liveRun(
  spec: TreeSpec,
  requests: PlanRequest[],
  during: (call: number, plan: Plan) => Promise<void> = async () => {},
  live: Partial<LiveOptions> = {},
) {
  const root = await useStorageTree(spec);
  const plan = planDeletion(await readStorageInventory(root), requests, { graceMs: 0 });
  let call = 0;
  const evictor = recordingEvictor();
  const report = await applyPlan(root, plan, {
    live: {
      settleMs: 50,
      evictor,
      sleep: async () => {
        await during(call++, plan);
      },
      ...live,
    },
  });
  const exists = (item: StoragePath) => existsSync(join(root, pathFor(item)));
  return { root, plan, report, exists, evictor, writes: registryWrites(root) };
}

/** The settle wait (0-based) in which the group holding actions of `type` is held. */
function waitOf(plan: Plan, type: "revision" | "layer-link" | "blob"): number {
  const order = ["tag", "revision", "layer-link", "blob"] as const;
  let n = 0;
  for (const t of order) {
    const actions = plan.actions.filter((a) => a.type === t);
    if (t === type) return n;
    // one group per revision stage, one for the other types
    n +=
      t === "revision"
        ? new Set(actions.map((a) => (a as { stage: number }).stage)).size
        : actions.length > 0
          ? 1
          : 0;
  }
  return n;
}

const shared = layer("an old layer nobody tags any more");
const old = image({ layers: [shared], salt: "old" });
const kept = image({ layers: [layer("kept")], salt: "kept" });
const garbageTree: TreeSpec = { repositories: { app: { tags: { v1: kept }, untagged: [old] } } };
const gcM: PlanRequest[] = [{ kind: "gc", deleteUntagged: true }];

describe("live deletion beside a serving registry", { timeout: 30_000 }, () => {
  it("without a push, deletes the garbage and evicts what it deleted", async () => {
    const { report, exists, evictor } = await liveRun(garbageTree, gcM);
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(false);
    expect(exists({ kind: "revision-link", repository: "app", digest: old.digest as Digest })).toBe(false);
    expect(report.bytesFreed).toBeGreaterThan(0);
    expect(report.skipped).toEqual([]);
    expect(evictor.entries).toContainEqual({ digest: shared.digest });
    expect(evictor.entries).toContainEqual({ digest: shared.digest, repository: "app" });
    expect(evictor.entries).toContainEqual({ digest: old.digest, repository: "app" });
    expect(report.live?.held).toBeGreaterThan(0);
  });

  it("race 1: a push reuses an old unreferenced blob (HEAD 200) while it is held: the blob is put back", async () => {
    const reuse = image({ layers: [shared], salt: "reuse" });
    let blobWait = -1;
    const { report, exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      blobWait = waitOf(plan, "blob");
      // The registry checked the blob before the hold (or its cache said so) and now writes the manifest.
      if (call === blobWait) await registryWrites(rootOf(plan)).putManifest("app", reuse, "latest");
    });
    expect(blobWait).toBeGreaterThan(0);
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
    expect(report.live?.restored).toBeGreaterThan(0);
    expect(report.skipped.map((s) => s.code)).toContain("live.restored");
  });

  it("race 1: a push reuses the layer link while it is held: link and blob stay", async () => {
    const reuse = image({ layers: [shared], salt: "reuse-link" });
    const { exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      if (call === waitOf(plan, "layer-link"))
        await registryWrites(rootOf(plan)).putManifest("app", reuse, "latest");
    });
    expect(exists({ kind: "layer-link", repository: "app", digest: shared.digest as Digest })).toBe(true);
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
  });

  it("race 1: a cross-repository mount of the held blob: the blob is put back", async () => {
    const { exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      if (call === waitOf(plan, "blob")) await registryWrites(rootOf(plan)).mount("other", shared.digest);
    });
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
  });

  it("race 2: every held item is evicted from the registry's cache before the settle wait", async () => {
    const evictor = recordingEvictor();
    let seenAtBlobWait: EvictionEntry[] = [];
    await liveRun(
      garbageTree,
      gcM,
      async (call, plan) => {
        if (call === waitOf(plan, "blob")) seenAtBlobWait = [...evictor.entries];
      },
      { evictor },
    );
    expect(seenAtBlobWait).toContainEqual({ digest: shared.digest });
  });

  it("race 2: a cache that cannot be evicted stops the run with every held file put back", async () => {
    const root = await useStorageTree(garbageTree);
    const plan = planDeletion(await readStorageInventory(root), gcM, { graceMs: 0 });
    await expect(
      applyPlan(root, plan, {
        live: { settleMs: 0, evictor: recordingEvictor(true), sleep: async () => {} },
      }),
    ).rejects.toMatchObject({ code: "cache.unreachable" });
    const revision = join(
      root,
      pathFor({ kind: "revision-link", repository: "app", digest: old.digest as Digest }),
    );
    expect(await readFile(revision, "utf8")).toBe(old.digest);
  });

  it("race 3: a tag moved onto a planned untagged manifest during the deletion keeps it whole", async () => {
    const { exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      if (call === 0) await registryWrites(rootOf(plan)).putManifest("app", old, "v2");
    });
    expect(exists({ kind: "revision-link", repository: "app", digest: old.digest as Digest })).toBe(true);
    expect(exists({ kind: "layer-link", repository: "app", digest: shared.digest as Digest })).toBe(true);
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
  });

  it("race 3: a tag re-pushed while its deletion is held stays (the registry's write wins)", async () => {
    const { exists, report } = await liveRun(
      garbageTree,
      [{ kind: "delete-tag", repository: "app", tag: "v1" }],
      async (call, plan) => {
        if (call === 0) await registryWrites(rootOf(plan)).putManifest("app", kept, "v1");
      },
    );
    expect(exists({ kind: "tag-current-link", repository: "app", tag: "v1" })).toBe(true);
    expect(exists({ kind: "revision-link", repository: "app", digest: kept.digest as Digest })).toBe(true);
    expect(report.skipped.map((s) => s.code)).toContain("live.rewritten");
  });

  it("race 4: a manifest put again by digest only while held stays", async () => {
    const { exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      if (call === waitOf(plan, "revision")) await registryWrites(rootOf(plan)).putManifest("app", old);
    });
    expect(exists({ kind: "revision-link", repository: "app", digest: old.digest as Digest })).toBe(true);
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
  });

  it("race 4: a new manifest put by digest only, naming a planned blob, keeps it", async () => {
    const byDigest = image({ layers: [shared], salt: "by-digest" });
    const { exists } = await liveRun(garbageTree, gcM, async (call, plan) => {
      if (call === waitOf(plan, "blob")) await registryWrites(rootOf(plan)).putManifest("ci", byDigest);
    });
    expect(exists({ kind: "blob-data", digest: shared.digest as Digest })).toBe(true);
  });

  it("a run killed while files are held leaves them undecided: the next run puts them back first", async () => {
    const root = await useStorageTree(garbageTree);
    const path = pathFor({ kind: "blob-data", digest: shared.digest as Digest });
    await withFsStore(root, {}, async (store) => {
      await new Quarantine(store).hold([path]);
      expect(existsSync(join(root, path))).toBe(false);
      expect(await Quarantine.recover(store)).toEqual([path]);
    });
    expect(existsSync(join(root, path))).toBe(true);
    // and a whole apply does it first: the plan made on the restored tree deletes the blob as garbage
    await withFsStore(root, {}, (store) => new Quarantine(store).hold([path]));
    const plan = planDeletion(await readStorageInventory(root), gcM, { graceMs: 0 });
    expect(plan.actions.some((a) => a.type === "blob" && a.digest === shared.digest)).toBe(false);
    await applyPlan(root, plan);
    expect(existsSync(join(root, path))).toBe(true);
    expect(existsSync(join(root, ".regsweep/quarantine"))).toBe(false);
  });
});

// Tests get the root from the plan's source (a storage plan's source is its root).
function rootOf(plan: Plan): string {
  return plan.source;
}
