import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  availableRegistryVersions,
  createTestBucket,
  expectNotPullable,
  expectPullable,
  image,
  index,
  layer,
  pushManifest,
  registryConfigYaml,
  type StartedRegistry,
  startRegistryProcess,
  type TestBucket,
} from "@regsweep/testbed";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type RegsweepRun, runRegsweep } from "./test-support/run-regsweep.js";

const server = inject("s3Server");
const versions = availableRegistryVersions().filter((v) => /^2\.[78]\./.test(v));
const ROOT = "reg";

it("the run has registries for the s3 driver", () => {
  expect(versions, "no 2.7/2.8 registry binary in .cache/registries: run scripts/setup.sh").not.toHaveLength(
    0,
  );
});

/** Everything a run showed: output, errors, and what it wrote (a plan), for the secret check. */
const seen: string[] = [];
async function regsweep(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RegsweepRun> {
  // No AWS_* from the machine: credentials come from the config, or from the env the test gives.
  const run = await runRegsweep(args, {
    env: { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "", ...env },
  });
  seen.push(run.stdout, run.stderr);
  return run;
}

describe.each(versions)(`regsweep on a bucket written by registry %s (${server.kind})`, (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const keysUnderRoot = (bucket: TestBucket) => bucket.keys(`${ROOT}/`);

  it("ls, du, delete, gc -m, check --verify-digests and apply work through --config and s3://; kept tags pull digest-checked", async () => {
    const bucket = await createTestBucket(server);
    cleanup.push(() => bucket.remove());
    const s3 = { ...server, bucket: bucket.name, rootDirectory: `/${ROOT}` };
    let registry: StartedRegistry = await startRegistryProcess({ version, s3 });
    cleanup.push(() => registry.stop({ removeStorage: true }));

    const base = layer(`base ${version}`);
    const amd = image({ layers: [base, layer("amd64")], platform: { architecture: "amd64", os: "linux" } });
    const arm = image({ layers: [base, layer("arm64")], platform: { architecture: "arm64", os: "linux" } });
    const multi = index([amd, arm]);
    const a1 = image({ layers: [base, layer("a1")] });
    const a2 = image({ layers: [base, layer("a2"), layer("a2 only")] });
    for (const child of [amd, arm]) await pushManifest(registry, "test/multi", child);
    await pushManifest(registry, "test/multi", multi, "v1");
    await pushManifest(registry, "test/a", a1, "1");
    await pushManifest(registry, "test/a", a2, "2");
    await pushManifest(registry, "other/a", a1, "latest");
    await registry.stop();
    // The registry's config as an operator has it (the running registry's own goes with its process).
    const dir = await mkdtemp(join(tmpdir(), "regsweep-s3-cli-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, "config.yml");
    await writeFile(config, registryConfigYaml({ port: 5000, storageRoot: dir, s3, deleteEnabled: true }));
    const misplaced = join(dir, "misplaced.yml");
    await writeFile(
      misplaced,
      registryConfigYaml({
        port: 5000,
        storageRoot: dir,
        s3: { ...s3, rootDirectory: "/elsewhere" },
        deleteEnabled: true,
      }),
    );
    const url = `s3://${bucket.name}/${ROOT}`;
    const adHoc = ["--storage", url, "--s3-endpoint", server.endpoint];
    const chain = { AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey };

    const ls = await regsweep(["ls", "--config", config, "--format", "tsv", "--no-headers"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^test\/a\t2\t/m);
    expect(ls.stdout).toMatch(/^test\/multi\tv1\t/m);
    // The registry's environment overrides win over its file, as in the registry.
    const overridden = await regsweep(["ls", "--config", misplaced, "--format", "tsv", "--no-headers"], {
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: `/${ROOT}`,
    });
    expect(overridden.stdout).toBe(ls.stdout);
    const elsewhere = await regsweep(["ls", "--config", misplaced]);
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toContain(`s3://${bucket.name}/elsewhere is not a registry storage tree`);
    const du = await regsweep(["du", ...adHoc, "--json"], chain);
    expect(du.code, du.stderr).toBe(0);
    expect((JSON.parse(du.stdout) as { totalBytes: number }).totalBytes).toBeGreaterThan(0);

    const before = await keysUnderRoot(bucket);
    const dry = await regsweep(["delete", "--config", config, "test/a:2", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { source: string; actions: unknown[] };
    expect(plan.source).toBe(url);
    expect(plan.actions.length).toBeGreaterThan(0);
    expect(await keysUnderRoot(bucket)).toEqual(before);

    const real = await regsweep(["delete", "--config", config, "test/a:2", "--yes"]);
    expect(real.code, real.stderr).toBe(0);
    // A saved plan names the bucket; `apply` finds it again with the same endpoint.
    const planFile = join(dir, "gc-plan.json");
    const save = await regsweep(["gc", ...adHoc, "-m", "--grace", "0", "--out", planFile], chain);
    expect(save.code, save.stderr).toBe(0);
    const apply = await regsweep(["apply", planFile, "--s3-endpoint", server.endpoint, "--yes"], chain);
    expect(apply.code, apply.stderr).toBe(0);
    const keys = await keysUnderRoot(bucket);
    expect(keys.some((k) => k.includes("/test/a/_manifests/tags/2/"))).toBe(false);
    expect(keys.some((k) => k.includes(a2.digest.slice(7)))).toBe(false);
    expect(keys.some((k) => k.startsWith(`${ROOT}/.regsweep/`))).toBe(false);

    const check = await regsweep(["check", "--config", config, "--verify-digests", "--json"]);
    expect(check.code, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout) as { summary: { tags: number; okTags: number } };
    expect(report.summary).toMatchObject({ tags: 3, okTags: 3 });

    const live = await regsweep(["gc", "--config", config, "--live", "--yes"]);
    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(/--live works on a storage tree on disk/);

    registry = await registry.restart();
    await expectPullable(registry.host, "test/multi:v1", multi.digest);
    await expectPullable(registry.host, "test/a:1", a1.digest);
    await expectPullable(registry.host, "other/a:latest", a1.digest);
    await expectNotPullable(registry.host, "test/a:2");
    await registry.stop();

    // Deleting everything leaves nothing under the root prefix (no lock, no journal, no folder keys).
    const all = await regsweep(["delete", "--config", config, "test/multi", "test/a", "other/a", "--yes"]);
    expect(all.code, all.stderr).toBe(0);
    expect(await keysUnderRoot(bucket)).toEqual([]);
    // An emptied prefix is no tree any more (a bucket has no folders to leave; on disk the emptied folders
    // stay and it stays a tree): it looks just like a wrong prefix, and the message says both.
    const after = await regsweep(["gc", "--config", config, "-m", "--yes"]);
    expect(after.code).toBe(3);
    expect(after.stderr).toMatch(
      /is not a registry storage tree: nothing is stored below docker\/registry\/v2\/: a wrong prefix .* or a tree emptied by deleting everything/,
    );

    for (const text of seen) expect(text).not.toContain(server.secretKey);
  });
});

describe("targets on object storage, refused clearly", () => {
  it("a bad s3:// location, s3 flags without one, and an unreachable bucket name the problem", async () => {
    const badUrl = await regsweep(["ls", "--storage", "s3://Not_A_Bucket/x"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/not a valid S3 bucket name/);
    const stray = await regsweep(["ls", "--storage", "/tmp", "--s3-endpoint", server.endpoint]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--s3-endpoint goes with --storage s3:\/\//);
    const missing = await regsweep(
      ["ls", "--storage", "s3://no-such-bucket-here/reg", "--s3-endpoint", server.endpoint],
      { AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey },
    );
    expect(missing.code, missing.stderr).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-bucket-here/);
    expect(missing.stderr).not.toContain(server.secretKey);
  });
});
