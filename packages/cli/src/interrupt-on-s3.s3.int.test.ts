import { spawn } from "node:child_process";
import {
  availableRegistryVersions,
  createTestBucket,
  expectPullable,
  image,
  layer,
  pushManifest,
  s3ChainEnv,
  startRegistryProcess,
  startThrottledFrontend,
  type TestBucket,
  trackProcess,
} from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { REGSWEEP_BIN, runRegsweep } from "./test-support/run-regsweep.js";

// A clean Ctrl-C on a bucket: SIGINT to a real `regsweep gc` process while it deletes from a tree a real
// 2.8 registry wrote. The run goes through a throttled front end of the server (testbed's
// startThrottledFrontend) only so that its deletions take seconds, not milliseconds: the signal then lands
// mid-apply on any machine. It must stop after the deletions in flight, exit 130 saying how to resume,
// release its lock and leave a journal that `resume` finishes, every kept tag pullable throughout.
// Needs the built CLI (pnpm build).
const server = inject("s3Server");
const version = availableRegistryVersions().find((v) => v.startsWith("2.8."));
let bucket: TestBucket;
let readBucket: TestBucket;
beforeAll(async () => {
  bucket = await createTestBucket(server, "sigint");
  readBucket = await createTestBucket(server, "sigint-read");
});
afterAll(async () => {
  await bucket?.remove();
  await readBucket?.remove();
});

const env = s3ChainEnv(server);

it("SIGINT during gc on a bucket: stops after the batch in flight, exit 130, lock released, resume converges", async () => {
  expect(version, "no 2.8 registry binary in .cache/registries: run scripts/setup.sh").toBeDefined();
  const s3 = { ...server, bucket: bucket.name, rootDirectory: "/reg" };
  let registry = await startRegistryProcess({ version: version as string, s3 });
  const base = layer("base");
  const kept = image({ layers: [base, layer("kept")] });
  // Twelve pushes to one tag: eleven untagged manifests with their own layers for gc -m to delete.
  for (let i = 0; i < 12; i++)
    await pushManifest(registry, "test/app", image({ layers: [base, layer(`build ${i}`)] }), "latest");
  await pushManifest(registry, "test/kept", kept, "v1");
  await registry.stop();

  await using frontend = await startThrottledFrontend(server, {
    swift: { writesPerSecond: 15, maxSleepSeconds: 60 },
    ceph: { maxConcurrentRequests: 2 },
  });
  const at = (endpoint: string) => ["--storage", `s3://${bucket.name}/reg`, "--s3-endpoint", endpoint];
  const child = trackProcess(
    spawn(
      process.execPath,
      [REGSWEEP_BIN, "gc", "-m", "--grace", "0", "--yes", ...at(frontend.server.endpoint)],
      {
        env: { ...process.env, NO_COLOR: "1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    ),
    { kind: "regsweep-cli" },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  // The apply has begun once its journal is in the bucket: then Ctrl-C.
  let journaled = false;
  for (let i = 0; i < 1200 && !journaled && child.exitCode === null; i++) {
    journaled = (await bucket.keys("reg/.regsweep/")).some((k) => k.includes("journal"));
    if (!journaled) await new Promise((r) => setTimeout(r, 25));
  }
  expect(journaled, stderr).toBe(true);
  child.kill("SIGINT");
  const { code } = await exited;
  expect(code, stderr).toBe(130);
  expect(stderr).toMatch(/stopping after the actions in flight/);
  expect(stderr).toMatch(/interrupted: stopped after the deletions in flight.*regsweep resume/);
  const left = await bucket.keys("reg/.regsweep/");
  expect(
    left.some((k) => k.endsWith("/lock")),
    left.join("\n"),
  ).toBe(false);
  expect(
    left.some((k) => k.includes("journal")),
    "a pending journal to resume",
  ).toBe(true);

  const check = await runRegsweep(["check", "--json", ...at(server.endpoint)], { env });
  expect(check.code, check.stderr).toBe(0);
  const report = JSON.parse(check.stdout) as { summary: { tags: number; okTags: number } };
  expect(report.summary).toMatchObject({ tags: 2, okTags: 2 });

  const resume = await runRegsweep(["resume", "--yes", ...at(server.endpoint)], { env });
  expect(resume.code, resume.stderr).toBe(0);
  expect(resume.stderr).toMatch(/resuming a plan/);
  const again = await runRegsweep(["gc", "-m", "--grace", "0", "--yes", ...at(server.endpoint)], { env });
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toMatch(/nothing to do/);
  expect(await bucket.keys("reg/.regsweep/")).toEqual([]);

  registry = await registry.restart();
  await expectPullable(registry.host, "test/kept:v1", kept.digest);
  await registry.stop({ removeStorage: true });
}, 300_000);

it("SIGINT while gc reads a bucket: stops the read, exit 130, nothing written or deleted, the next run works", async () => {
  expect(version, "no 2.8 registry binary in .cache/registries: run scripts/setup.sh").toBeDefined();
  const s3 = { ...server, bucket: readBucket.name, rootDirectory: "/reg" };
  const registry = await startRegistryProcess({ version: version as string, s3 });
  const base = layer("base");
  const kept = image({ layers: [base, layer("kept")] });
  for (let i = 0; i < 3; i++)
    await pushManifest(registry, "test/app", image({ layers: [base, layer(`build ${i}`)] }), "latest");
  await pushManifest(registry, "test/kept", kept, "v1");
  await registry.stop();
  const before = await readBucket.keys("");
  const at = ["--storage", `s3://${readBucket.name}/reg`, "--s3-endpoint", server.endpoint];

  // A Ctrl-C just before the run's third request: the read has begun, no plan is made yet. A read of a
  // large bucket takes minutes; it must stop now, not once the whole bucket is listed.
  const interrupted = await runRegsweep(["gc", "-m", "--grace", "0", "--yes", ...at], {
    env: { ...env, REGSWEEP_TEST_INTERRUPT_AT_S3_REQUEST: "2" },
  });
  expect(interrupted.code, interrupted.stderr).toBe(130);
  expect(interrupted.stderr).toMatch(/interrupted while reading s3:\/\/.*: nothing was deleted/);
  expect(await readBucket.keys("")).toEqual(before);

  const again = await runRegsweep(["gc", "-m", "--grace", "0", "--yes", ...at], { env });
  expect(again.code, again.stderr).toBe(0);
  const restarted = await registry.restart();
  await expectPullable(restarted.host, "test/kept:v1", kept.digest);
  await restarted.stop({ removeStorage: true });
}, 300_000);
