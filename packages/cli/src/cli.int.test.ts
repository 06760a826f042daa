import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MTIME_SLACK_MS } from "@regsweep/cleaner";
import {
  defaultTestVersion,
  expectNotPullable,
  expectPullable,
  image,
  layer,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { REGSWEEP_BIN, runRegsweep, treeFingerprint } from "./test-support/run-regsweep.js";

const regsweep = (...args: string[]) => runRegsweep(args);
const fingerprint = treeFingerprint;

const registries: StartedRegistry[] = [];
afterEach(async () => {
  for (const r of registries.splice(0)) await r.stop({ removeStorage: true });
});

/** A registry tree with test/a (latest), test/c (1, 2) and another repository sharing a's image; registry stopped. */
async function pushedTree(): Promise<StartedRegistry> {
  const registry = await startRegistryProcess({ version: defaultTestVersion() });
  registries.push(registry);
  const base = layer("busybox");
  const a = image({ layers: [base, layer("a")] });
  await pushManifest(registry, "test/a", a, "latest");
  await pushManifest(registry, "other/a", a, "1");
  await pushManifest(registry, "test/c", image({ layers: [base, layer("c")] }), "1");
  await pushManifest(registry, "test/c", image({ layers: [base, layer("c"), layer("d")] }), "2");
  await registry.stop();
  return registry;
}

describe("regsweep CLI on trees written by a real registry", () => {
  it("delete --dry-run prints the plan and changes nothing; the real run then deletes exactly that", async () => {
    const registry = await pushedTree();
    const before = await fingerprint(registry.storageRoot);
    const dry = await regsweep("delete", "--storage", registry.storageRoot, "test/c:1", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^ACTION +REPOSITORY +TAG +DIGEST +SIZE +REASON$/m);
    expect(dry.stdout).toMatch(/^delete tag +test\/c +1 +[0-9a-f]{12} +- +/m);
    expect(await fingerprint(registry.storageRoot)).toBe(before);
    const planned = dry.stdout.split("\n").filter((l) => l.startsWith("delete "));

    const json = await regsweep(
      "delete",
      "--storage",
      registry.storageRoot,
      "test/c:1",
      "--dry-run",
      "--json",
    );
    const plan = JSON.parse(json.stdout) as { actions: Array<{ type: string; path: string }> };
    const real = await regsweep("delete", "--storage", registry.storageRoot, "test/c:1", "--yes", "-v");
    expect(real.code).toBe(0);
    expect(real.stdout.split("\n").filter((l) => l.startsWith("delete "))).toEqual(planned);
    for (const a of plan.actions.filter((x) => x.type !== "prune")) {
      await expect(stat(join(registry.storageRoot, a.path)), a.path).rejects.toThrow();
    }
    const restarted = await registry.restart(); // the same handle: pushedTree's cleanup stops it
    await expectNotPullable(restarted.host, "test/c:1");
    await expectPullable(restarted.host, "test/c:2");
  });

  it("seed habits: --image, --prune, --force (ignored with a note), REGISTRY_DATA_DIR", async () => {
    const registry = await pushedTree();
    const { code, stderr } = await runRegsweep(
      ["delete", "--image", "test/a", "--prune", "--force", "--yes"],
      {
        env: { REGISTRY_DATA_DIR: join(registry.storageRoot, "docker/registry/v2") },
      },
    );
    expect(code).toBe(0);
    expect(stderr).toContain("--force is not needed");
    const ls = JSON.parse(
      (await regsweep("ls", "--storage", registry.storageRoot, "--json")).stdout,
    ) as Array<{ repository: string }>;
    expect([...new Set(ls.map((r) => r.repository))]).toEqual(["other/a", "test/c"]);
  });

  it.each([
    [["delete", "../../etc"], 2, /invalid repository name '..\/..\/etc'/],
    [["delete", "Test/A"], 2, /uppercase/],
    [["delete"], 2, /image is required/],
    [["delete", "test"], 3, /no repository 'test'/],
    [["delete", "test/a:nope"], 3, /no tag 'nope'/],
    [["delete", "test/a", "--grace", "soon"], 2, /invalid duration/],
    [["delete", "test/a"], 2, /without a terminal.*--yes/],
    [["gc", "--storage", "/nonexistent/registry"], 3, /not a registry storage tree: it does not exist/],
  ] as Array<[string[], number, RegExp]>)(
    "bad input %j exits %i with a clear message and an unchanged tree",
    async (args, code, message) => {
      const registry = await pushedTree();
      const before = await fingerprint(registry.storageRoot);
      const withStorage = args.includes("--storage") ? args : [...args, "--storage", registry.storageRoot];
      const result = await regsweep(...withStorage);
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace without -v
      expect(await fingerprint(registry.storageRoot)).toBe(before);
    },
  );

  it("a corrupt manifest is reported and kept; nothing it might need is deleted", async () => {
    const registry = await pushedTree();
    const tags = join(
      registry.storageRoot,
      "docker/registry/v2/repositories/test/a/_manifests/tags/latest/current/link",
    );
    const digest = (await readFile(tags, "utf8")).trim();
    const hex = digest.slice("sha256:".length);
    await writeFile(
      join(registry.storageRoot, `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`),
      "{ not json",
    );
    const result = await regsweep("gc", "--storage", registry.storageRoot, "-m", "--grace", "0", "--yes");
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("manifest.corrupt");
    await expect(
      stat(join(registry.storageRoot, `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`)),
    ).resolves.toBeTruthy();
    expect(
      (await readdir(join(registry.storageRoot, "docker/registry/v2/repositories/test/a/_layers/sha256")))
        .length,
    ).toBe(3);
  });

  it("check passes on a healthy tree and names a missing layer blob, exiting 3", async () => {
    const registry = await pushedTree();
    const healthy = await regsweep("check", "--storage", registry.storageRoot);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain("4/4 tags resolve fully");
    const layers = join(registry.storageRoot, "docker/registry/v2/repositories/test/c/_layers/sha256");
    const hex = (await readdir(layers))[0] as string;
    await rm(join(registry.storageRoot, `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}`), {
      recursive: true,
    });
    const broken = await regsweep("check", "--storage", registry.storageRoot);
    expect(broken.code).toBe(3);
    expect(broken.stdout).toMatch(/broken {2}test\/c:/);
    expect(broken.stdout).toContain("blob.missing");
  });

  it("du reports space per repository and what gc would reclaim, as JSON", async () => {
    const registry = await pushedTree();
    const du = await regsweep("du", "--storage", registry.storageRoot, "--json");
    expect(du.code).toBe(0);
    const report = JSON.parse(du.stdout) as {
      repositories: Array<{ repository: string; uniqueBytes: number; sharedBytes: number }>;
      totalBytes: number;
    };
    expect(report.repositories.map((r) => r.repository)).toEqual(["other/a", "test/a", "test/c"]);
    // other/a and test/a hold the same image: nothing is unique to either, everything is shared.
    expect(report.repositories[0]?.uniqueBytes).toBe(0);
    expect(report.repositories[1]?.sharedBytes).toBeGreaterThan(0);
    expect(report.totalBytes).toBeGreaterThan(0);
  });

  it("a tree emptied by deleting everything keeps its folders on disk and stays a tree: gc has nothing to do (a bucket's emptied prefix exits 3, cli-on-s3)", async () => {
    const registry = await pushedTree();
    const all = await regsweep(
      "delete",
      "--storage",
      registry.storageRoot,
      "other/a",
      "test/a",
      "test/c",
      "--yes",
    );
    expect(all.code, all.stderr).toBe(0);
    expect((await stat(join(registry.storageRoot, "docker/registry/v2"))).isDirectory()).toBe(true);
    const again = await regsweep("gc", "--storage", registry.storageRoot, "-m", "--yes");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing to do/);
  });

  it("resume finishes a journaled plan that an earlier run did not (as after a kill -9), and says when there is none", async () => {
    const registry = await pushedTree();
    const planFile = join(registry.storageRoot, "..", `plan-${Date.now()}.json`);
    expect(
      (await regsweep("delete", "--storage", registry.storageRoot, "test/c:1", "--out", planFile)).code,
    ).toBe(0);
    // What applyPlan leaves when killed right after journaling: the plan, and nothing done yet.
    await mkdir(join(registry.storageRoot, ".regsweep"), { recursive: true });
    await writeFile(join(registry.storageRoot, ".regsweep/journal-plan.json"), await readFile(planFile));
    await writeFile(join(registry.storageRoot, ".regsweep/journal-done"), "");
    const resumed = await regsweep("resume", "--storage", registry.storageRoot, "--yes");
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming a plan from .*: 0\/\d+ actions were done/);
    await expect(stat(join(registry.storageRoot, ".regsweep"))).rejects.toThrow();
    const after = await regsweep("ls", "--storage", registry.storageRoot, "--json");
    const rows = JSON.parse(after.stdout) as Array<{ repository: string; tag: string | null }>;
    expect(rows.filter((r) => r.repository === "test/c").map((r) => r.tag)).toEqual(["2"]);
    const again = await regsweep("resume", "--storage", registry.storageRoot, "--yes");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("no interrupted apply to resume");
    await rm(planFile, { force: true });
  });

  it("apply refuses a saved plan whose path was edited to point elsewhere, naming the action, and deletes nothing", async () => {
    const registry = await pushedTree();
    const planFile = join(registry.storageRoot, "..", `plan-edited-${Date.now()}.json`);
    expect(
      (await regsweep("delete", "--storage", registry.storageRoot, "test/c:1", "--out", planFile)).code,
    ).toBe(0);
    const plan = JSON.parse(await readFile(planFile, "utf8")) as {
      actions: Array<{ type: string; path: string }>;
    };
    const i = plan.actions.findIndex((a) => a.type === "revision");
    expect(i).toBeGreaterThanOrEqual(0);
    (plan.actions[i] as { path: string }).path =
      "docker/registry/v2/repositories/other/a/_manifests/revisions";
    await writeFile(planFile, JSON.stringify(plan));
    const before = await regsweep("ls", "--storage", registry.storageRoot, "--json");
    const applied = await regsweep("apply", planFile, "--storage", registry.storageRoot, "--yes");
    expect(applied.code).toBe(2);
    expect(applied.stderr).toContain(`action ${i}`);
    expect((await regsweep("ls", "--storage", registry.storageRoot, "--json")).stdout).toBe(before.stdout);
    await rm(planFile, { force: true });
  });

  it("apply refuses a plan made for another backend (exit 2, nothing deleted) and applies one saved before plans named theirs", async () => {
    const registry = await pushedTree();
    const planFile = join(registry.storageRoot, "..", `plan-backend-${Date.now()}.json`);
    expect(
      (await regsweep("delete", "--storage", registry.storageRoot, "test/c:1", "--out", planFile)).code,
    ).toBe(0);
    const plan = JSON.parse(await readFile(planFile, "utf8")) as { backend?: string };
    expect(plan.backend).toBe("storage");
    const before = await fingerprint(registry.storageRoot);
    const online = await regsweep("apply", planFile, "--registry", "http://127.0.0.1:1", "--yes");
    expect(online.code).toBe(2);
    expect(await fingerprint(registry.storageRoot)).toEqual(before);
    // A plan file of the previous version has no "backend": its source, a folder, says storage.
    delete plan.backend;
    await writeFile(planFile, JSON.stringify(plan, null, 2));
    const applied = await regsweep("apply", planFile, "--yes");
    expect(applied.code, applied.stderr).toBe(0);
    expect(await fingerprint(registry.storageRoot)).not.toEqual(before);
    await rm(planFile, { force: true });
  });

  it("a second run is refused while the lock is held by a live process", async () => {
    const registry = await pushedTree();
    await mkdir(join(registry.storageRoot, ".regsweep"), { recursive: true });
    await writeFile(
      join(registry.storageRoot, ".regsweep/lock"),
      JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname() }),
    );
    const result = await regsweep("delete", "--storage", registry.storageRoot, "test/a", "--yes");
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/another regsweep run holds/);
    await rm(join(registry.storageRoot, ".regsweep"), { recursive: true });
  });
});

describe("an offline deletion under a running registry", () => {
  it("is refused (exit 3, tree unchanged) unless --live (or --allow-running) says otherwise", async () => {
    const stopped = await pushedTree();
    const pushedAt = Date.now(); // every push of pushedTree is done by now
    const running = await stopped.restart(); // the same handle: pushedTree's cleanup stops it
    const before = await fingerprint(stopped.storageRoot);
    const refused = await regsweep("delete", "--storage", stopped.storageRoot, "test/c:1", "--yes");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/a registry is serving this storage tree/);
    expect(refused.stderr).toMatch(/hint: add --live/);
    expect(await fingerprint(stopped.storageRoot)).toBe(before);
    // --grace keeps its meaning (how young is young): it no longer lets a deletion run under a registry.
    const withGrace = await regsweep(
      "delete",
      "--storage",
      stopped.storageRoot,
      "test/c:1",
      "--yes",
      "--grace",
      "1h",
    );
    expect(withGrace.code).toBe(3);
    expect(await fingerprint(stopped.storageRoot)).toBe(before);
    // Live mode counts anything written within MTIME_SLACK_MS before its inventory as a push in flight and
    // keeps it; on a fast machine the pushes above are that young still. Let them age past it first.
    await sleep(Math.max(0, pushedAt + MTIME_SLACK_MS + 200 - Date.now()));
    const live = await regsweep(
      "delete",
      "--storage",
      stopped.storageRoot,
      "test/c:1",
      "--yes",
      "--live",
      "--settle",
      "1s",
      "--config",
      running.configPath,
    );
    expect(live.stderr).toMatch(/live mode beside registry pid/);
    expect(live.code, live.stderr).toBe(0);
    await expectNotPullable(running.host, "test/c:1");
    await expectPullable(running.host, "test/c:2");
  });
});

describe("right after pushes, with the registry stopped (the seed's users)", () => {
  it("keeps the young untagged manifest by default and names the one flag that deletes it", async () => {
    const registry = await startRegistryProcess({ version: defaultTestVersion() });
    registries.push(registry);
    const base = layer("busybox");
    await pushManifest(registry, "test/repousinglatest", image({ layers: [base, layer("v1")] }), "latest");
    await pushManifest(registry, "test/repousinglatest", image({ layers: [base, layer("v2")] }), "latest");
    await registry.stop();
    const args = [
      "delete",
      "--storage",
      registry.storageRoot,
      "--image",
      "test/repousinglatest",
      "--untagged",
      "--yes",
    ];
    const first = await regsweep(...args);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/nothing to do/);
    expect(first.stderr).toMatch(/no registry process serves this tree on this host.*add --grace 0/);
    const second = await regsweep(...args, "--grace", "0");
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/1 manifest/);
  });
});

describe("regsweep CLI output", () => {
  it("ends quietly when whoever reads its output goes away (`regsweep … | head`)", async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [REGSWEEP_BIN, "gc", "--help"], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      // Closed before the CLI writes: its first write to stdout fails with EPIPE.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(run.code).toBe(0);
  });
});
