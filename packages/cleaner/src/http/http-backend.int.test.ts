import {
  availableRegistryVersions,
  expectPullable,
  image,
  layer,
  pushManifest,
  startRegistryProcess,
  tags,
} from "@regsweep/testbed";
import { expect, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { HttpBackend } from "./http-backend.js";
import { RegistryClient } from "./registry-client.js";

const versions = availableRegistryVersions();

it.each(versions)(
  "the HTTP API of registry %s as a backend: no lock, journal or folders; plans and applies",
  async (version) => {
    await using registry = await startRegistryProcess({ version });
    const base = layer("http backend base");
    const kept = image({ layers: [base, layer("http backend kept")] });
    const gone = image({ layers: [base, layer("http backend gone")] });
    await pushManifest(registry, "app", kept, "v1");
    await pushManifest(registry, "app", gone, "v2");
    await using backend = new HttpBackend(new RegistryClient({ url: registry.url }));
    expect(backend.kind).toBe("http");
    expect(backend.location).toBe(registry.url.replace(/\/$/, ""));
    expect(backend.capabilities).toEqual({
      lock: false,
      journal: false,
      deletesBlobs: false,
      folderPrunes: false,
      live: false,
      listsUntagged: false,
    });
    expect(await backend.lock()).toBeUndefined();
    expect(await backend.pending()).toBeUndefined();
    const inventory = await backend.readInventory();
    const created = await backend.readCreatedTimes(inventory);
    expect([...created.keys()].sort()).toEqual([gone.digest, kept.digest].sort());
    const warnings: string[] = [];
    const plan = await backend.completePlan(
      planDeletion(inventory, [{ kind: "delete-tag", repository: "app", tag: "v2" }], { graceMs: 0 }),
      (w) => warnings.push(w),
    );
    expect(warnings).toEqual([]);
    expect(plan.registry).toBeDefined();
    // The API shows no folders: the plan removes none (an offline plan for the same tag prunes blob folders).
    expect(plan.actions.filter((a) => a.type === "prune")).toEqual([]);
    const tag = plan.actions.find((a) => a.type === "tag");
    expect(tag?.type === "tag" && (tag.method ?? tag.blocked)).toBeTruthy();
    const report = await backend.apply(plan);
    expect(report.skipped).toEqual([]);
    expect(await tags(registry.url, "app")).toEqual(["v1"]);
    await expectPullable(registry.host, "app:v1", kept.digest);
  },
);

it("the test bed has real registry versions for the HTTP backend", () => {
  expect(versions).not.toHaveLength(0);
});
