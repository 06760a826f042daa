import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { image, layer, referrer, type TestManifest } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { pathFor, type StoragePath } from "../storage/storage-paths.js";
import { amd, app, arm, base, d, healthy, img, multi } from "../test-support/healthy-tree.js";
import { type TreeSpec, useStorageTree } from "../test-support/storage-tree.js";
import { type CheckProblemCode, checkInventory } from "./check-inventory.js";

const configOf = (m: TestManifest) => m.blobs[0] as { digest: string; bytes: Buffer };

/** Writes the healthy tree, breaks it, and checks it. */
async function checkBroken(
  breakIt: (at: (p: StoragePath) => string) => Promise<void>,
  spec: TreeSpec = healthy,
) {
  const root = await useStorageTree(spec);
  await breakIt((p) => join(root, pathFor(p)));
  return { root, report: checkInventory(await readStorageInventory(root)) };
}

describe("checkInventory", () => {
  it("a healthy tree: every tag ok, no orphans", async () => {
    const { report } = await checkBroken(async () => {});
    expect(report.tags.map((t) => [t.tag, t.ok])).toEqual([
      ["latest", true],
      ["multi", true],
    ]);
    expect(report.summary).toEqual({ tags: 2, okTags: 2, brokenTags: 0, problems: {} });
    expect([
      report.orphans.revisions.count,
      report.orphans.layerLinks.count,
      report.orphans.blobs.count,
    ]).toEqual([0, 0, 0]);
  });

  const rmFile = (path: string) => rm(path);
  it.each<
    [string, CheckProblemCode, string, Digest | undefined, (at: (p: StoragePath) => string) => Promise<void>]
  >([
    [
      "tag without current link",
      "tag.no-current",
      "latest",
      undefined,
      (at) => rmFile(at({ kind: "tag-current-link", repository: "app", tag: "latest" })),
    ],
    [
      "tag's manifest not a revision",
      "revision.missing",
      "latest",
      d(img),
      (at) => rmFile(at({ kind: "revision-link", repository: "app", digest: d(img) })),
    ],
    [
      "tag's manifest data gone",
      "manifest.missing",
      "latest",
      d(img),
      (at) => rmFile(at({ kind: "blob-data", digest: d(img) })),
    ],
    [
      "tag's manifest not JSON",
      "manifest.corrupt",
      "latest",
      d(img),
      (at) => writeFile(at({ kind: "blob-data", digest: d(img) }), "not json"),
    ],
    [
      "a layer's data gone",
      "blob.missing",
      "latest",
      d(app),
      (at) => rmFile(at({ kind: "blob-data", digest: d(app) })),
    ],
    [
      "a config's data gone",
      "blob.missing",
      "latest",
      d(configOf(img)),
      (at) => rmFile(at({ kind: "blob-data", digest: d(configOf(img)) })),
    ],
    [
      "a layer not linked",
      "layer-link.missing",
      "latest",
      d(app),
      (at) => rmFile(at({ kind: "layer-link", repository: "app", digest: d(app) })),
    ],
    [
      "an index child not a revision (what upstream gc -m does)",
      "child.missing",
      "multi",
      d(arm),
      (at) => rmFile(at({ kind: "revision-link", repository: "app", digest: d(arm) })),
    ],
    [
      "an index child's data gone",
      "manifest.missing",
      "multi",
      d(amd),
      (at) => rmFile(at({ kind: "blob-data", digest: d(amd) })),
    ],
    [
      "a child's layer not linked",
      "layer-link.missing",
      "multi",
      d(configOf(arm)),
      (at) => rmFile(at({ kind: "layer-link", repository: "app", digest: d(configOf(arm)) })),
    ],
  ])("%s → %s", async (_name, code, tag, digest, breakIt) => {
    const { report } = await checkBroken(breakIt);
    const broken = report.tags.find((t) => t.tag === tag);
    expect(broken?.ok).toBe(false);
    expect(broken?.problems.map((p) => [p.code, p.digest])).toContainEqual([code, digest]);
    // The other tag is untouched by the damage (except a shared base, which none of these remove).
    expect(report.tags.filter((t) => t.tag !== tag).every((t) => t.ok)).toBe(true);
    expect(report.summary.brokenTags).toBe(1);
  });

  it("names the index that needs a missing child", async () => {
    const { report } = await checkBroken((at) =>
      rm(at({ kind: "revision-link", repository: "app", digest: d(arm) })),
    );
    const problem = report.tags
      .find((t) => t.tag === "multi")
      ?.problems.find((p) => p.code === "child.missing");
    expect(problem).toMatchObject({
      parent: d(multi),
      path: pathFor({ kind: "revision-link", repository: "app", digest: d(arm) }),
    });
  });

  it("a shared base layer gone breaks every tag, each reporting it once", async () => {
    const { report } = await checkBroken((at) => rm(at({ kind: "blob-data", digest: d(base) })));
    expect(report.summary.brokenTags).toBe(2);
    expect(report.tags.find((t) => t.tag === "multi")?.problems).toHaveLength(1);
  });

  it("counts orphans: untagged revisions, unused layer links, unlinked blobs, with their bytes", async () => {
    const old = image({ layers: [base, layer("old build")], salt: "old" });
    const sig = referrer(img);
    const stray = layer("stray link");
    const lost = layer("lost blob");
    const { report } = await checkBroken(async () => {}, {
      repositories: { app: { tags: { latest: img, multi }, untagged: [old, sig], orphanLayers: [stray] } },
      orphanBlobs: [lost],
    });
    expect(report.summary.brokenTags).toBe(0);
    // The referrer of a tagged image is reached through its subject; the old build is not.
    expect(report.orphans.revisions.items).toEqual([
      { repository: "app", digest: d(old), bytes: old.bytes.length },
    ]);
    expect(report.orphans.layerLinks.items).toEqual([
      { repository: "app", digest: d(stray), bytes: stray.size },
    ]);
    expect(report.orphans.blobs).toEqual({
      count: 1,
      bytes: lost.size,
      items: [{ repository: "", digest: d(lost), bytes: lost.size }],
    });
  });

  it("an unreadable revision makes no layer link an orphan (it might name any of them)", async () => {
    const old = image({ layers: [layer("old build")], salt: "old" });
    const { report } = await checkBroken((at) => writeFile(at({ kind: "blob-data", digest: d(old) }), "{"), {
      repositories: { app: { tags: { latest: img }, untagged: [old] } },
    });
    expect(report.orphans.layerLinks.count).toBe(0);
    expect(report.findings.map((f) => f.code)).toContain("manifest.corrupt");
  });

  it("passes the inventory's findings through", async () => {
    const { report } = await checkBroken((at) =>
      writeFile(at({ kind: "layer-link", repository: "app", digest: d(app) }), "sha256:nope"),
    );
    expect(report.findings.map((f) => f.code)).toEqual(["link.invalid"]);
  });
});
