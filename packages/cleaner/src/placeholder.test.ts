import { image, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "./model/digest.js";
import { parseManifest } from "./model/manifest.js";
import {
  isPlaceholderBlob,
  isPlaceholderManifest,
  makePlaceholder,
  mayBePlaceholderBlob,
  PLACEHOLDER_CONFIG_BYTES,
  PLACEHOLDER_MANIFEST_BYTES,
} from "./placeholder.js";
import { planDeletion } from "./plan/plan-deletion.js";
import { applyPlan } from "./storage/apply-plan.js";
import { readStorageInventory } from "./storage/read-storage-inventory.js";
import { useStorageTree } from "./test-support/storage-tree.js";

/** A placeholder as a TestManifest the storage-tree writer can push. */
function asTestManifest(tag: string) {
  const p = makePlaceholder(tag);
  const config = { digest: p.configDigest, size: p.config.length, mediaType: "x", bytes: p.config };
  return {
    p,
    m: { digest: p.digest, mediaType: p.mediaType, bytes: p.manifest, blobs: [config], children: [] },
  };
}

describe("placeholder manifests", () => {
  it("have fixed sizes, a unique config each, and are recognised by their config media type and content", () => {
    const a = makePlaceholder("latest");
    const b = makePlaceholder("latest");
    const long = makePlaceholder("t".repeat(128));
    for (const p of [a, b, long]) {
      expect(p.config.length).toBe(PLACEHOLDER_CONFIG_BYTES);
      expect(p.manifest.length).toBe(PLACEHOLDER_MANIFEST_BYTES);
      expect(mayBePlaceholderBlob(p.config.length) && mayBePlaceholderBlob(p.manifest.length)).toBe(true);
      expect(isPlaceholderBlob(p.config) && isPlaceholderBlob(p.manifest)).toBe(true);
      const parsed = parseManifest(p.manifest, p.digest);
      expect("problem" in parsed ? undefined : parsed.blobs).toEqual([p.configDigest]);
      expect(isPlaceholderManifest("problem" in parsed ? undefined : parsed)).toBe(true);
    }
    expect(a.digest).not.toBe(b.digest);
    expect(a.configDigest).not.toBe(b.configDigest);
    const real = image({ layers: [layer("x")] });
    const parsed = parseManifest(real.bytes);
    expect(isPlaceholderManifest("problem" in parsed ? undefined : parsed)).toBe(false);
    expect(isPlaceholderBlob(Buffer.alloc(PLACEHOLDER_CONFIG_BYTES, " "))).toBe(false);
    expect(isPlaceholderBlob(Buffer.alloc(PLACEHOLDER_MANIFEST_BYTES, "{"))).toBe(false);
  });

  it("a tag left on a placeholder is finished by any plan; gc frees placeholder blobs and links whatever their age", async () => {
    const keep = image({ layers: [layer("kept")] });
    const interrupted = asTestManifest("latest");
    const finished = asTestManifest("old");
    const root = await useStorageTree({
      ageMs: 60_000, // younger than the default one-hour grace period
      repositories: {
        app: {
          tags: { latest: interrupted.m as never, v1: keep },
          // A finished placeholder delete leaves its config linked and both blobs behind.
          orphanLayers: [finished.m.blobs[0] as never],
        },
      },
      orphanBlobs: [
        {
          digest: finished.p.digest,
          size: finished.p.manifest.length,
          mediaType: "x",
          bytes: finished.p.manifest,
        },
      ],
    });
    const inv = await readStorageInventory(root);
    expect([...(inv.placeholders ?? [])].sort()).toEqual(
      [interrupted.p.digest, interrupted.p.configDigest, finished.p.digest, finished.p.configDigest].sort(),
    );
    // Asked for something else entirely, the plan still finishes the interrupted delete.
    const plan = planDeletion(inv, [{ kind: "gc", deleteUntagged: false }]);
    const tags = plan.actions.flatMap((a) => (a.type === "tag" ? [a.tag] : []));
    expect(tags).toEqual(["latest"]);
    const blobs = new Set(plan.actions.flatMap((a) => (a.type === "blob" ? [a.digest] : [])));
    for (const d of [
      interrupted.p.digest,
      interrupted.p.configDigest,
      finished.p.digest,
      finished.p.configDigest,
    ])
      expect(blobs.has(d as Digest), d).toBe(true);
    const links = plan.actions.flatMap((a) => (a.type === "layer-link" ? [a.digest] : []));
    expect(links.sort()).toEqual([interrupted.p.configDigest, finished.p.configDigest].sort());
    await applyPlan(root, plan);
    const after = await readStorageInventory(root);
    expect(after.placeholders?.size).toBe(0);
    expect(after.repositories[0]?.tags.map((t) => [t.name, t.current])).toEqual([["v1", keep.digest]]);
    for (const b of keep.blobs) expect(after.blobs.has(b.digest as Digest)).toBe(true);
  });
});
