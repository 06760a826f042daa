import { utimes } from "node:fs/promises";
import { join } from "node:path";
import {
  availableRegistryVersions,
  expectNotPullable,
  expectPullable,
  image,
  index,
  layer,
  pushManifest,
  referrer,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { applyPlan } from "../storage/apply-plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { pathFor } from "../storage/storage-paths.js";
import { planRetention } from "./plan-retention.js";
import type { RetentionPolicy } from "./policy.js";
import { readCreatedTimes } from "./read-created-times.js";

const DAY = 86_400_000;
const started: StartedRegistry[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.stop({ removeStorage: true });
});

describe.each(availableRegistryVersions())("retention on a real registry %s (offline)", (version) => {
  it("multi-arch children and referrers follow their parent; untagged go past their age; kept tags pull", async () => {
    const registry = await startRegistryProcess({ version });
    started.push(registry);
    const base = layer("base");
    const arch = (name: string, created: string, architecture: string) =>
      image({ layers: [base, layer(name)], created, platform: { os: "linux", architecture } });
    const oldAmd = arch("old-amd", "2020-01-01T00:00:00Z", "amd64");
    const oldArm = arch("old-arm", "2020-01-01T00:00:00Z", "arm64");
    const newAmd = arch("new-amd", "2024-01-01T00:00:00Z", "amd64");
    const newArm = arch("new-arm", "2024-01-02T00:00:00Z", "arm64");
    const multiOld = index([oldAmd, oldArm]);
    const multiNew = index([newAmd, newArm]);
    const sigOld = referrer(oldAmd);
    const sigNew = referrer(newAmd);
    await pushManifest(registry, "app", multiOld, "multi-old");
    await pushManifest(registry, "app", multiNew, "multi-new");
    await pushManifest(registry, "app", sigOld);
    await pushManifest(registry, "app", sigNew);
    const v1Old = image({ layers: [base, layer("v1 old")] });
    const v1New = image({ layers: [base, layer("v1 new")] });
    const stray = image({ layers: [base, layer("recent untagged")] });
    await pushManifest(registry, "app", v1Old, "v1");
    await pushManifest(registry, "app", v1New, "v1"); // v1Old is now untagged
    await pushManifest(registry, "app", stray); // untagged, but young
    await registry.stop();
    // The re-pushed tag's old manifest was linked 10 days ago (ages come from link mtimes).
    const tenDaysAgo = new Date(Date.now() - 10 * DAY);
    await utimes(
      join(
        registry.storageRoot,
        pathFor({ kind: "revision-link", repository: "app", digest: v1Old.digest as Digest }),
      ),
      tenDaysAgo,
      tenDaysAgo,
    );

    const policy: RetentionPolicy = {
      rules: [
        {
          name: "multi",
          repositories: { include: [{ glob: "app" }], exclude: [] },
          tags: { include: [{ glob: "multi-*" }], exclude: [] },
          keep: [{ kind: "last", count: 1, order: "created" }],
          untaggedOlderThanMs: 7 * DAY,
        },
      ],
    };
    const inventory = await readStorageInventory(registry.storageRoot);
    const nowMs = Date.now();
    const retention = planRetention(inventory, policy, {
      nowMs,
      createdAt: await readCreatedTimes(registry.storageRoot, inventory),
    });
    const decided = Object.fromEntries(retention.decisions.map((d) => [d.tag ?? d.digest, d.action]));
    expect(decided).toMatchObject({ "multi-old": "delete", "multi-new": "keep", v1: "keep" });
    expect(decided[v1Old.digest]).toBe("delete");
    expect(decided[stray.digest]).toBe("keep");
    const plan = planDeletion(inventory, retention.requests, { nowMs });
    const report = await applyPlan(registry.storageRoot, plan);
    expect(report.skipped).toEqual([]);

    const again = await registry.restart(); // the same handle: afterEach stops it
    await expectPullable(again.host, "app:multi-new", multiNew.digest);
    await expectPullable(again.host, "app:v1", v1New.digest);
    for (const m of [newAmd, newArm, sigNew, stray]) await expectPullable(again.host, `app@${m.digest}`);
    await expectNotPullable(again.host, "app:multi-old");
    for (const m of [multiOld, oldAmd, oldArm, sigOld, v1Old])
      await expectNotPullable(again.host, `app@${m.digest}`);

    // Applying the same policy again finds nothing more to do.
    const after = await readStorageInventory(registry.storageRoot);
    const second = planRetention(after, policy, {
      nowMs,
      createdAt: await readCreatedTimes(registry.storageRoot, after),
    });
    expect(second.requests).toEqual([]);
  });
});
