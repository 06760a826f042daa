import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTestVersion,
  expectNotPullable,
  expectPullable,
  image,
  layer,
  tags as listTags,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { runRegsweep } from "../test-support/run-regsweep.js";

const regsweep = (...args: string[]) => runRegsweep(args);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function registryWith(pushes: Array<[string, string, string?]>): Promise<StartedRegistry> {
  const registry = await startRegistryProcess({ version: defaultTestVersion() });
  cleanup.push(() => registry.stop({ removeStorage: true }));
  const base = layer("busybox");
  for (const [repo, tag, created] of pushes)
    await pushManifest(
      registry,
      repo,
      image({ layers: [base, layer(`${repo}:${tag}`)], ...(created ? { created } : {}) }),
      tag,
    );
  await registry.stop();
  return registry;
}

async function restart(registry: StartedRegistry): Promise<StartedRegistry> {
  return registry.restart(); // the same handle: registryWith's cleanup stops it
}

interface Decision {
  repository: string;
  tag?: string;
  action: "keep" | "delete";
  cause: string;
}

describe("regsweep retain on trees written by a real registry", () => {
  it("the seed's test_clean_old_versions: --image --include '.*' -l 4 deletes only :1", async () => {
    const registry = await registryWith([
      ["busybox/busy", "1"],
      ["busybox/busy", "2"],
      ["busybox/busy", "3"],
      ["busybox/busy", "4"],
      ["busybox/busy", "latest"],
      ["other/busy", "1"],
    ]);
    const r = await regsweep(
      "retain",
      "--storage",
      registry.storageRoot,
      "--image",
      "busybox/busy",
      "--include",
      ".*",
      "-l",
      "4",
      "--yes",
    );
    expect(r.code).toBe(0);
    const again = await restart(registry);
    await expectNotPullable(again.host, "busybox/busy:1");
    for (const t of ["2", "3", "4", "latest"]) await expectPullable(again.host, `busybox/busy:${t}`);
    await expectPullable(again.host, "other/busy:1");
  });

  it("--exclude, -o date, -b/-a: only tags created inside the window go; --json carries the decisions", async () => {
    const registry = await registryWith([
      ["app", "t-dec", "2015-12-01T00:00:00Z"],
      ["app", "t-jan", "2016-01-05T00:00:00Z"],
      ["app", "t-mar", "2016-03-01T00:00:00Z"],
      ["app", "t-apr", "2016-04-01T00:00:00Z"],
      ["app", "t-jul", "2016-07-01T00:00:00Z"],
    ]);
    const args = [
      "retain",
      "--storage",
      registry.storageRoot,
      "--image",
      "^app$",
      "--exclude",
      "^t-mar$",
      "-l",
      "0",
      "-o",
      "date",
      "-b",
      "2016-06-25T12:00:00",
      "-a",
      "2016-01-01T00:00:00",
    ];
    const dry = await regsweep(...args, "--dry-run", "--json");
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as {
      decisions: Decision[];
      actions: Array<{ type: string; tag?: string }>;
    };
    const deleted = plan.decisions
      .filter((d) => d.action === "delete")
      .map((d) => d.tag)
      .sort();
    expect(deleted).toEqual(["t-apr", "t-jan"]);
    expect(
      plan.actions
        .filter((a) => a.type === "tag")
        .map((a) => a.tag)
        .sort(),
    ).toEqual(["t-apr", "t-jan"]);
    expect((await regsweep(...args, "--yes")).code).toBe(0);
    const again = await restart(registry);
    expect((await listTags(again.url, "app")).sort()).toEqual(["t-dec", "t-jul", "t-mar"]);
    await expectPullable(again.host, "app:t-mar");
    await expectNotPullable(again.host, "app:t-jan");
  });

  it("a policy file: plan saved with --out and applied later; a tag shared with a kept tag goes alone", async () => {
    const registry = await startRegistryProcess({ version: defaultTestVersion() });
    cleanup.push(() => registry.stop({ removeStorage: true }));
    const base = layer("busybox");
    const shared = image({ layers: [base, layer("shared")] });
    await pushManifest(registry, "team/web", image({ layers: [base, layer("v9")] }), "v9");
    await pushManifest(registry, "team/web", image({ layers: [base, layer("v10")] }), "v10");
    await pushManifest(registry, "team/web", image({ layers: [base, layer("v8")] }), "v8");
    await pushManifest(registry, "team/web", shared, "old-alias");
    await pushManifest(registry, "team/web", shared, "latest");
    await registry.stop();
    const dir = await mkdtemp(join(tmpdir(), "retain-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const policyFile = join(dir, "policy.yml");
    await writeFile(
      policyFile,
      `rules:
  - name: web
    repositories: "team/*"
    keep:
      last: {count: 2, order: name}
      tags: [latest]
`,
    );
    const planFile = join(dir, "plan.json");
    const out = await regsweep(
      "retain",
      "--storage",
      registry.storageRoot,
      "--policy",
      policyFile,
      "--out",
      planFile,
    );
    expect(out.code).toBe(0);
    const plan = JSON.parse(await readFile(planFile, "utf8")) as { decisions: Decision[] };
    const byTag = Object.fromEntries(plan.decisions.map((d) => [d.tag, d]));
    expect(byTag["old-alias"]).toMatchObject({ action: "delete", cause: "shared-digest" });
    expect(byTag.v8).toMatchObject({ action: "delete" });
    expect(byTag.v10).toMatchObject({ action: "keep" });
    expect((await regsweep("apply", planFile, "--yes")).code).toBe(0);
    const again = await restart(registry);
    await expectNotPullable(again.host, "team/web:v8");
    await expectNotPullable(again.host, "team/web:old-alias");
    for (const t of ["v9", "v10"]) await expectPullable(again.host, `team/web:${t}`);
    await expectPullable(again.host, "team/web:latest", shared.digest);
  });

  it("a saved plan is re-checked: a push since --out makes apply refuse (stale) and delete nothing there", async () => {
    const registry = await registryWith([
      ["app", "1"],
      ["app", "2"],
      ["app", "3"],
    ]);
    const dir = await mkdtemp(join(tmpdir(), "retain-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const planFile = join(dir, "plan.json");
    const out = await regsweep(
      "retain",
      "--storage",
      registry.storageRoot,
      "--image",
      "^app$",
      "-l",
      "2",
      "--out",
      planFile,
    );
    expect(out.code).toBe(0);
    const pushing = await restart(registry);
    await pushManifest(pushing, "app", image({ layers: [layer("four")] }), "4");
    await pushing.stop();
    const applied = await regsweep("apply", planFile, "--yes");
    expect(applied.code).toBe(6);
    const again = await restart(registry);
    for (const t of ["1", "2", "3", "4"]) await expectPullable(again.host, `app:${t}`);
  });

  it("one-off flags: --group-by, --keep, --digests (allow-list) all keep", async () => {
    const registry = await startRegistryProcess({ version: defaultTestVersion() });
    cleanup.push(() => registry.stop({ removeStorage: true }));
    let main1 = "";
    for (const t of ["main-1", "main-2", "main-3", "dev-1", "dev-2", "release-1"]) {
      const m = image({ layers: [layer(t)] });
      if (t === "main-1") main1 = m.digest;
      await pushManifest(registry, "app", m, t);
    }
    await registry.stop();
    const dir = await mkdtemp(join(tmpdir(), "retain-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const deployed = join(dir, "deployed.txt");
    await writeFile(deployed, `# deployed\napp@${main1}\n`);
    const r = await regsweep(
      "retain",
      "--storage",
      registry.storageRoot,
      "--image",
      "^app$",
      "-l",
      "1",
      "-o",
      "name",
      "--group-by",
      "^([a-z]+)-",
      "--keep",
      "release-*",
      "--digests",
      deployed,
      "--yes",
    );
    expect(r.code).toBe(0);
    const again = await restart(registry);
    expect((await listTags(again.url, "app")).sort()).toEqual(["dev-2", "main-1", "main-3", "release-1"]);
    await expectPullable(again.host, "app:main-1");
  });

  it("a policy with a typo is refused with its line, and nothing changes", async () => {
    const registry = await registryWith([["app", "1"]]);
    const dir = await mkdtemp(join(tmpdir(), "retain-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const policyFile = join(dir, "policy.yml");
    await writeFile(policyFile, "rules:\n  - repositories: app\n    keep:\n      lsat: 3\n");
    const r = await regsweep("retain", "--storage", registry.storageRoot, "--policy", policyFile, "--yes");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("policy.yml:4");
    const again = await restart(registry);
    await expectPullable(again.host, "app:1");
  });
});
