import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  availableRegistryVersions,
  expectNotPullable,
  expectPullable,
  findRegistryVersion,
  image,
  index,
  layer,
  pushBlob,
  pushManifest,
  referrer,
  type StartedRegistry,
  signedSchema1,
  startRegistryProcess,
  tags,
  writeHtpasswd,
} from "@regsweep/testbed";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan, PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { applyOnlinePlan } from "./apply-online-plan.js";
import { RegistryAuthError, RegistryDeleteDisabledError, RegistryUnreachableError } from "./http-errors.js";
import { readRegistryInventory } from "./read-registry-inventory.js";
import { RegistryClient } from "./registry-client.js";

const versions = availableRegistryVersions();

it("the test bed has real registry versions to run (scripts/setup.sh fetches them)", () => {
  expect(versions).not.toHaveLength(0);
});

/**
 * What a plan does, without where it was read from and when. Actions as a sorted list: offline plans order
 * each phase by inode number, which an online inventory does not have.
 */
/**
 * What both engines must agree on. Folder prunes are left out: which empty folders a repository's removal
 * leaves is a filesystem store's fact (the tree shows an emptied `_uploads/`, the API cannot), and the
 * online applier removes no folders.
 */
function comparable(plan: Plan) {
  const actions = plan.actions
    .filter((a) => a.type !== "prune")
    .map((a) => JSON.stringify(a))
    .sort();
  return { actions, summary: plan.summary, kept: plan.kept, snapshots: plan.snapshots };
}

describe.each(versions)("online engine against registry %s", (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const start = async (extra: Partial<Parameters<typeof startRegistryProcess>[0]> = {}) => {
    const r = await startRegistryProcess({ version, ...extra });
    cleanup.push(() => r.stop({ removeStorage: true }));
    return r;
  };
  const client = (
    r: StartedRegistry,
    extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {},
  ) => {
    const c = new RegistryClient({ url: r.url, retries: 1, backoffMs: 20, ...extra });
    cleanup.push(async () => c.close());
    return c;
  };

  /** Images every contract case starts from: shared layers, a tag pair on one digest, multi-arch, a referrer. */
  async function seed(r: StartedRegistry) {
    const base = layer("base");
    const one = image({ layers: [base, layer("one")] });
    const two = image({ layers: [base, layer("two")] });
    const shared = image({ layers: [layer("shared")] });
    const amd = image({
      layers: [base, layer("amd")],
      format: "oci",
      platform: { os: "linux", architecture: "amd64" },
    });
    const arm = image({
      layers: [base, layer("arm")],
      format: "oci",
      platform: { os: "linux", architecture: "arm64" },
    });
    const multi = index([amd, arm]);
    const sig = referrer(one);
    await pushManifest(r, "app", one, "1");
    await pushManifest(r, "app", two, "2");
    await pushManifest(r, "app", shared, "s1");
    await pushManifest(r, "app", shared, "s2");
    await pushManifest(r, "app", sig, `sha256-${one.digest.slice(7)}.sig`);
    await pushManifest(r, "multi", multi, "latest");
    await pushManifest(r, "multi", amd, "amd-only");
    await pushManifest(r, "other", image({ layers: [base, layer("other")] }), "keep");
    return { one, two, shared, multi, amd, arm, sig };
  }

  it("plans the same deletions from the HTTP API as from the storage tree, and applies them", async () => {
    const r = await start();
    const img = await seed(r);
    const c = client(r);
    const requestSets: PlanRequest[][] = [
      [{ kind: "delete-tag", repository: "app", tag: "1" }],
      [{ kind: "delete-tag", repository: "app", tag: "2" }],
      [{ kind: "delete-tag", repository: "multi", tag: "latest" }],
      [{ kind: "delete-repository", repository: "multi" }],
      [{ kind: "delete-repository", repository: "app" }],
    ];
    const online = await readRegistryInventory(c);
    const offline = await readStorageInventory(r.storageRoot);
    expect(online.repositories.map((x) => x.name)).toEqual(["app", "multi", "other"]);
    expect(online.findings).toEqual([]);
    for (const requests of requestSets) {
      const a = planDeletion(online, requests, { graceMs: 0 });
      const b = planDeletion(offline, requests, { graceMs: 0 });
      expect(comparable(a), JSON.stringify(requests)).toEqual(comparable(b));
    }

    // Deleting tag 1 takes its referrer (tag and manifest) with it; nothing else moves.
    const plan = planDeletion(online, [{ kind: "delete-tag", repository: "app", tag: "1" }], { graceMs: 0 });
    const report = await applyOnlinePlan(c, plan);
    expect(report.skipped).toEqual([]);
    expect(report.done).toBeGreaterThanOrEqual(2);
    expect(report.offline.blob).toBeGreaterThan(0);
    await expectNotPullable(r.host, "app:1");
    await expectNotPullable(r.host, `app@${img.sig.digest}`);
    await expectPullable(r.host, "app:2", img.two.digest);
    await expectPullable(r.host, "app:s1", img.shared.digest);
    await expectPullable(r.host, "multi:latest", img.multi.digest);
    expect(await tags(r.url, "app")).toEqual(["2", "s1", "s2"]);

    // Deleting a multi-arch tag: the index and its untagged child go, the child another tag names stays.
    const plan1 = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "multi", tag: "latest" }],
      {
        graceMs: 0,
      },
    );
    expect((await applyOnlinePlan(c, plan1)).skipped).toEqual([]);
    await expectNotPullable(r.host, "multi:latest");
    await expectNotPullable(r.host, `multi@${img.arm.digest}`);
    await expectPullable(r.host, "multi:amd-only", img.amd.digest);

    // A whole multi-arch repository: the index goes, then its children.
    const plan2 = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-repository", repository: "multi" }],
      {
        graceMs: 0,
      },
    );
    const report2 = await applyOnlinePlan(c, plan2);
    expect(report2.skipped).toEqual([]);
    await expectNotPullable(r.host, "multi:latest");
    await expectNotPullable(r.host, `multi@${img.amd.digest}`);
    await expectPullable(r.host, "other:keep");
  });

  it("on 2.x a tag whose digest a kept tag shares goes alone through a placeholder; forced, by digest with them", async () => {
    const r = await start();
    const img = await seed(r);
    const c = client(r);
    const plan = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "app", tag: "s1" }],
      { graceMs: 0 },
    );
    const report = await applyOnlinePlan(c, plan);
    expect(report.capabilities?.tagDelete).toBe(false);
    expect(report.capabilities?.tagOnlyDelete).toBe("placeholder");
    expect(report.skipped).toEqual([]);
    expect(report.tags).toMatchObject([{ tag: "s1", method: "placeholder", result: "deleted" }]);
    expect(report.siblingsChecked).toBe(1);
    expect(report.siblingsChanged).toEqual([]);
    await expectNotPullable(r.host, "app:s1");
    await expectPullable(r.host, "app:s2", img.shared.digest);

    await pushManifest(r, "app", img.shared, "s3");
    const again = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "app", tag: "s2" }],
      { graceMs: 0 },
    );
    const forced = await applyOnlinePlan(c, again, { force: true });
    expect(forced.skipped).toEqual([]);
    expect(forced.tags).toMatchObject([{ tag: "s2", method: "digest", result: "deleted" }]);
    expect(forced.cascadedTags).toEqual(["app:s3"]);
    await expectNotPullable(r.host, "app:s2");
    await expectNotPullable(r.host, "app:s3");
    await expectPullable(r.host, "app:1", img.one.digest);
  });

  it("on 2.x a tag on a child of a kept index goes alone, even forced (a digest delete would break the index)", async () => {
    const r = await start();
    const img = await seed(r);
    const c = client(r);
    const plan = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "multi", tag: "amd-only" }],
      { graceMs: 0 },
    );
    const report = await applyOnlinePlan(c, plan, { force: true });
    expect(report.skipped).toEqual([]);
    expect(report.tags).toMatchObject([{ tag: "amd-only", method: "placeholder", result: "deleted" }]);
    await expectNotPullable(r.host, "multi:amd-only");
    await expectPullable(r.host, "multi:latest", img.multi.digest);
    await expectPullable(r.host, `multi@${img.amd.digest}`);
  });

  it.runIf(findRegistryVersion(version).accepts.includes("schema1"))(
    "a tag served as schema1 goes alone through a placeholder; its manifest is never deleted by digest (it may be a rewrite)",
    async () => {
      const r = await start({ env: { REGISTRY_COMPATIBILITY_SCHEMA1_ENABLED: "true" } });
      const layers = [layer("legacy schema1 layer")];
      for (const b of layers) await pushBlob(r, "legacy", b);
      const m = signedSchema1({ name: "legacy", tag: "1", layers });
      const put = await fetch(`${r.url}/v2/legacy/manifests/1`, {
        method: "PUT",
        headers: { "Content-Type": m.mediaType },
        body: m.bytes,
      });
      expect(put.status, await put.text()).toBe(201);
      const c = client(r);
      const inventory = await readRegistryInventory(c);
      expect(inventory.findings.map((f) => [f.code, f.digest])).toContainEqual([
        "manifest.schema1",
        m.digest,
      ]);
      const plan = planDeletion(inventory, [{ kind: "delete-tag", repository: "legacy", tag: "1" }], {
        graceMs: 0,
      });
      const report = await applyOnlinePlan(c, plan);
      expect(report.tags).toMatchObject([{ tag: "1", method: "placeholder", result: "deleted" }]);
      expect(report.skipped.map((s) => s.action.type)).not.toContain("tag");
      const tag = await fetch(`${r.url}/v2/legacy/manifests/1`, { headers: { Accept: m.mediaType } });
      expect(tag.status).toBe(404);
      const still = await fetch(`${r.url}/v2/legacy/manifests/${m.digest}`, {
        headers: { Accept: m.mediaType },
      });
      expect(still.status).toBe(200);
    },
  );

  it("a saved plan whose tag moved since is skipped, not applied to the new digest", async () => {
    const r = await start();
    await seed(r);
    const c = client(r);
    const plan = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "app", tag: "2" }],
      {
        graceMs: 0,
      },
    );
    const moved = image({ layers: [layer("moved")] });
    await pushManifest(r, "app", moved, "2");
    const report = await applyOnlinePlan(c, plan);
    // The tag is left alone; the manifest it used to name is untagged now, so deleting it is still right.
    expect(report.skipped.map((s) => [s.action.type, s.why.includes("moved")])).toEqual([["tag", true]]);
    await expectPullable(r.host, "app:2", moved.digest);
    await expectPullable(r.host, "app:1");
  });

  it("a registry with deletes disabled gives registry.delete-disabled and changes nothing", async () => {
    const r = await start({ deleteEnabled: false });
    const img = await seed(r);
    const c = client(r);
    const plan = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "app", tag: "2" }],
      {
        graceMs: 0,
      },
    );
    const error = await applyOnlinePlan(c, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryDeleteDisabledError);
    expect((error as RegistryDeleteDisabledError).code).toBe("registry.delete-disabled");
    await expectPullable(r.host, "app:2", img.two.digest);
  });

  it("htpasswd basic auth: refused without or with wrong credentials, works with the right ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-htpasswd-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const r = await start({ htpasswd: writeHtpasswd(dir, "alice", "s3cret-pw") });
    const auth = { username: "alice", password: "s3cret-pw" };
    const img = await seed({ ...r, url: r.url, auth } as unknown as StartedRegistry);

    const anonymous = await readRegistryInventory(client(r)).catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(RegistryAuthError);
    const wrong = await readRegistryInventory(
      client(r, { credentials: { username: "alice", password: "wrong-pw" } }),
    ).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(RegistryAuthError);
    expect(String((wrong as Error).message)).not.toContain("wrong-pw");

    const c = client(r, { credentials: auth });
    const inventory = await readRegistryInventory(c);
    expect(inventory.repositories.find((x) => x.name === "app")?.tags.map((t) => t.name)).toEqual([
      "1",
      "2",
      "s1",
      "s2",
      `sha256-${img.one.digest.slice(7)}.sig`,
    ]);
    const plan = planDeletion(inventory, [{ kind: "delete-tag", repository: "app", tag: "2" }], {
      graceMs: 0,
    });
    const report = await applyOnlinePlan(c, plan);
    expect(report.skipped).toEqual([]);
    const after = await readRegistryInventory(c);
    expect(after.repositories.find((x) => x.name === "app")?.tags.map((t) => t.name)).not.toContain("2");
  });

  it("pages through a catalog and tag lists longer than one page", async () => {
    const r = await start();
    const base = layer("page base");
    for (let i = 0; i < 5; i++) {
      for (let t = 0; t < 7; t++) await pushManifest(r, `page/r${i}`, image({ layers: [base] }), `t${t}`);
    }
    const inventory = await readRegistryInventory(client(r), { pageSize: 2 });
    expect(inventory.repositories.map((x) => x.name)).toEqual([
      "page/r0",
      "page/r1",
      "page/r2",
      "page/r3",
      "page/r4",
    ]);
    for (const repo of inventory.repositories) expect(repo.tags).toHaveLength(7);
  });

  it("a registry that is not there gives registry.unreachable after the retries", async () => {
    const r = await start();
    await r.stop();
    const error = await readRegistryInventory(client(r)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnreachableError);
  });
});
