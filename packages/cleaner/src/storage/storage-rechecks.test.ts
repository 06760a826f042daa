import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { image, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { UNREAD_FIX } from "../model/inventory.js";
import type { PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { parsePlanJson, planJsonChunks } from "../plan/plan-json.js";
import { openFsStore } from "../stores/fs/open-fs-store.js";
import {
  addUnreadSignatureLink,
  hostileBaseSpec,
  hostileCases,
  hostileImages as I,
} from "../test-support/hostile-trees.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { applyPlan } from "./apply-plan.js";
import { readStorageInventory } from "./read-storage-inventory.js";
import { pathFor } from "./storage-paths.js";
import { staleRepositories } from "./storage-rechecks.js";

const gc: PlanRequest[] = [{ kind: "gc", deleteUntagged: true }];

async function planOf(root: string, requests = gc) {
  return planDeletion(await readStorageInventory(root), requests, { graceMs: 0 });
}
const changes = async (root: string, requests = gc) => {
  const plan = await planOf(root, requests);
  return (m: (root: string) => Promise<void> = async () => {}) =>
    m(root).then(async () => {
      const store = await openFsStore(root, { ioThreads: 2 });
      try {
        return await staleRepositories(store, plan);
      } finally {
        await store.close();
      }
    });
};

describe("staleRepositories", { timeout: 30_000 }, () => {
  it.each(hostileCases.filter((c) => c.name !== "blobs/ itself a symbolic link").map((c) => [c.name, c]))(
    "sees %s as planning saw it: no change",
    async (_, hostile) => {
      const root = await useStorageTree(hostileBaseSpec);
      const outside = await useStorageTree({ repositories: {} });
      await hostile.spoil(root, outside);
      const recheck = await changes(root);
      expect([...(await recheck()).values()]).toEqual([]);
    },
  );

  it("names what changed: a tag moved, a tag pushed, a manifest pushed, a kept tag or manifest gone", async () => {
    const other = image({ layers: [layer("other")], salt: "o" });
    const write = (root: string, item: Parameters<typeof pathFor>[0], text: string) =>
      mkdir(join(root, pathFor(item), ".."), { recursive: true }).then(() =>
        writeFile(join(root, pathFor(item)), text),
      );
    const cases: Array<[string, (root: string) => Promise<void>, object]> = [
      [
        "moved",
        (root) => write(root, { kind: "tag-current-link", repository: "lib", tag: "latest" }, I.a.digest),
        { repository: "lib", code: "tag.moved", tag: "latest", digest: I.a.digest },
      ],
      [
        "pushed",
        (root) => write(root, { kind: "tag-current-link", repository: "lib", tag: "new" }, I.lib.digest),
        { repository: "lib", code: "tag.pushed", tag: "new", digest: I.lib.digest },
      ],
      [
        "manifest pushed",
        (root) =>
          write(
            root,
            { kind: "revision-link", repository: "app", digest: other.digest as Digest },
            other.digest,
          ),
        { repository: "app", code: "revision.pushed", digest: other.digest },
      ],
      [
        "tag gone",
        (root) =>
          rm(join(root, pathFor({ kind: "tag-dir", repository: "app", tag: "v1" })), { recursive: true }),
        { repository: "app", code: "tag.gone", tag: "v1" },
      ],
      [
        "manifest gone",
        (root) =>
          rm(
            join(root, pathFor({ kind: "revision-link", repository: "app", digest: I.b2.digest as Digest })),
            {
              recursive: true,
            },
          ),
        { repository: "app", code: "revision.gone", digest: I.b2.digest },
      ],
    ];
    for (const [what, change, expected] of cases) {
      const root = await useStorageTree(hostileBaseSpec);
      const recheck = await changes(root, [
        { kind: "gc", deleteUntagged: true },
        { kind: "delete-tag", repository: "lib", tag: "latest" },
      ]);
      expect([...(await recheck(change)).values()], what).toEqual([expected]);
    }
  });

  it("what the plan itself removed (a resumed run) is no change", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const recheck = await changes(root, [
      { kind: "gc", deleteUntagged: true },
      { kind: "delete-tag", repository: "app", tag: "v1" },
    ]);
    const gone = await recheck(async () => {
      await rm(join(root, pathFor({ kind: "tag-dir", repository: "app", tag: "v1" })), { recursive: true });
      await rm(
        join(root, pathFor({ kind: "revision-link", repository: "app", digest: I.b1.digest as Digest })),
      );
    });
    expect([...gone.values()]).toEqual([]);
  });
});

describe("stray entries in a plan", { timeout: 30_000 }, () => {
  it("a removed tag takes the strays in its folder; the plan file names them and reads them back", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const tagDir = pathFor({ kind: "tag-dir", repository: "app", tag: "v2" });
    await writeFile(join(root, tagDir, ".DS_Store"), "x");
    await writeFile(join(root, tagDir, "index/.DS_Store"), "x");
    const plan = await planOf(root, [{ kind: "delete-tag", repository: "app", tag: "v2" }]);
    const tag = plan.actions.find((a) => a.type === "tag");
    expect(tag).toMatchObject({ tag: "v2", strays: [".DS_Store", "index/.DS_Store"] });
    const back = parsePlanJson([...planJsonChunks(plan)].join(""));
    expect(back.actions).toEqual(plan.actions);
  });

  it.each([["current/link"], ["../v1/current/link"], [`index/sha256/${"a".repeat(64)}/link`], [""]])(
    "a plan file whose stray is %j is refused",
    async (stray) => {
      const root = await useStorageTree(hostileBaseSpec);
      const plan = await planOf(root, [{ kind: "delete-tag", repository: "app", tag: "v2" }]);
      const tag = plan.actions.find((a) => a.type === "tag");
      if (tag?.type === "tag") tag.strays = [stray];
      expect(() => parsePlanJson([...planJsonChunks(plan)].join(""))).toThrow(/stray/);
    },
  );

  it("a removed link or blob folder takes what lies beside its link or data; the plan file reads them back", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const own = I.untagged.blobs[2]?.digest as Digest;
    const layerDir = dirname(pathFor({ kind: "layer-link", repository: "app", digest: own }));
    const blobDir = dirname(pathFor({ kind: "blob-data", digest: own }));
    const revisionDir = dirname(
      pathFor({ kind: "revision-link", repository: "app", digest: I.untagged.digest as Digest }),
    );
    await writeFile(join(root, layerDir, "link.orig"), "x");
    await writeFile(join(root, blobDir, "data.tmp"), "x");
    await writeFile(join(root, revisionDir, ".DS_Store"), "x");
    const plan = await planOf(root);
    const find = (type: string) =>
      plan.actions.find(
        (a) => a.type === type && "digest" in a && (a.digest === own || a.digest === I.untagged.digest),
      );
    expect(find("layer-link")).toMatchObject({ strays: ["link.orig"] });
    expect(find("blob")).toMatchObject({ strays: ["data.tmp"] });
    expect(find("revision")).toMatchObject({ strays: [".DS_Store"] });
    const back = parsePlanJson([...planJsonChunks(plan)].join(""));
    expect(back.actions).toEqual(plan.actions);
    // A stray may never name what the action's own file is, nor leave its folder.
    for (const forged of ["link", "../link", "sub/x"]) {
      const edited = structuredClone(plan);
      const layerLink = edited.actions.find((a) => a.type === "layer-link" && a.digest === own);
      if (layerLink?.type === "layer-link") layerLink.strays = [forged];
      expect(() => parsePlanJson([...planJsonChunks(edited)].join("")), forged).toThrow(/stray/);
    }
  });
});

describe("links no inventory reads as a repository's", { timeout: 30_000 }, () => {
  it("a signature link below a folder that is no revision: planning names the folder and the fix, keeps the blob, and the same run again plans nothing", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const { folder, blob } = await addUnreadSignatureLink(root);
    const inventory = await readStorageInventory(root);
    expect(inventory.unreadLinks).toEqual([{ repository: "app", folder, digests: [blob] }]);
    expect(inventory.findings.filter((f) => f.code === "link.unread").map((f) => f.path)).toEqual([folder]);
    expect(inventory.findings.find((f) => f.code === "link.unread")?.detail).toContain(UNREAD_FIX);
    const plan = planDeletion(inventory, gc, { graceMs: 0 });
    expect(plan.actions.some((a) => a.type === "blob" && a.digest === blob)).toBe(false);
    expect(plan.kept.filter((k) => k.code === "kept.unread-link")).toEqual([
      expect.objectContaining({ repository: "app", digest: blob, reason: expect.stringContaining(folder) }),
    ]);
    // No prune of a folder that holds it: it is kept.
    expect(plan.actions.filter((a) => a.type === "prune" && folder.startsWith(`${a.path}/`))).toEqual([]);
    const report = await applyPlan(root, plan);
    expect(report.skipped).toEqual([]);
    expect((await planOf(root)).actions).toEqual([]);
    // Once the operator removes the folder, the blob goes, and then nothing is left to do.
    await rm(join(root, folder), { recursive: true });
    const fixed = await planOf(root);
    expect(
      fixed.actions.filter((a) => a.type === "blob").map((a) => (a as { digest: string }).digest),
    ).toEqual([blob]);
    expect((await applyPlan(root, fixed)).skipped).toEqual([]);
    expect((await planOf(root)).actions).toEqual([]);
  });

  it("a signature link below a kept revision that appears after planning: apply keeps the blob it names", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const signature = layer("late schema1 signature");
    const data = join(root, pathFor({ kind: "blob-data", digest: signature.digest as Digest }));
    await mkdir(dirname(data), { recursive: true });
    await writeFile(data, signature.bytes);
    const inventory = await readStorageInventory(root);
    const plan = planDeletion(inventory, gc, { graceMs: 0 });
    expect(plan.actions.some((a) => a.type === "blob" && a.digest === signature.digest)).toBe(true);
    // Below a revision the plan keeps (a tag's current manifest): the revisions scan shows its `signatures/`.
    const app = inventory.repositories.find((r) => r.name === "app");
    const kept = app?.tags.find((t) => t.current !== undefined)?.current as Digest;
    const link = join(
      root,
      pathFor({
        kind: "signature-link",
        repository: "app",
        digest: kept,
        signature: signature.digest as Digest,
      }),
    );
    await mkdir(dirname(link), { recursive: true });
    await writeFile(link, signature.digest);
    const report = await applyPlan(root, plan);
    expect(report.skipped.map((s) => [s.code, (s.action as { digest?: string }).digest])).toEqual([
      ["blob.relinked", signature.digest],
    ]);
    const store = await openFsStore(root, { ioThreads: 2 });
    try {
      expect(
        (await store.stat([pathFor({ kind: "blob-data", digest: signature.digest as Digest })]))[0],
      ).toMatchObject({ kind: "file" });
    } finally {
      await store.close();
    }
  });

  it("one that appears after planning: apply keeps the blob with what to fix (a re-run plans it kept)", async () => {
    const root = await useStorageTree(hostileBaseSpec);
    const signature = layer("hostile orphaned schema1 signature");
    await mkdir(join(root, pathFor({ kind: "blob-data", digest: signature.digest as Digest }), ".."), {
      recursive: true,
    });
    await writeFile(
      join(root, pathFor({ kind: "blob-data", digest: signature.digest as Digest })),
      signature.bytes,
    );
    const plan = await planOf(root);
    expect(plan.actions.some((a) => a.type === "blob" && a.digest === signature.digest)).toBe(true);
    const { folder, blob } = await addUnreadSignatureLink(root);
    const report = await applyPlan(root, plan);
    expect(report.skipped.map((s) => [s.code, s.fix?.path])).toEqual([["blob.linked-unread", folder]]);
    expect(report.skipped[0]?.why).toContain(folder);
    const again = await planOf(root);
    expect(again.actions).toEqual([]);
    expect(again.kept.map((k) => [k.code, k.digest])).toEqual([["kept.unread-link", blob]]);
  });
});
