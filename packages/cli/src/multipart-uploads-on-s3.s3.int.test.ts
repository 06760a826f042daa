import {
  availableRegistryVersions,
  createTestBucket,
  image,
  layer,
  pushManifest,
  startRegistryProcess,
  type TestBucket,
} from "@regsweep/testbed";
import { afterAll, expect, inject, it } from "vitest";
import { runRegsweep } from "./test-support/run-regsweep.js";

// Interrupted blob uploads through a real registry on a bucket (POST, then a PATCH that the s3 driver turns
// into a multipart upload with one part, never finished), one of them with its `_uploads` keys deleted: the
// CLI's gc keeps them while they are younger than --upload-age, its dry run lists the aborts and changes
// nothing, and the real run aborts every one.
const server = inject("s3Server");
const version = availableRegistryVersions().find((v) => v.startsWith("2.8."));
const ROOT = "reg";
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

it("the run has a 2.8 registry for the s3 driver", () => {
  expect(version, "no 2.8 registry binary in .cache/registries: run scripts/setup.sh").toBeDefined();
});

it("gc --upload-age on a bucket: young multipart uploads kept, a dry run lists the aborts, the real run aborts them", async () => {
  const bucket: TestBucket = await createTestBucket(server, "multipart-cli");
  cleanup.push(() => bucket.remove());
  const s3 = { ...server, bucket: bucket.name, rootDirectory: `/${ROOT}` };
  const registry = await startRegistryProcess({ version: version as string, s3 });
  cleanup.push(() => registry.stop({ removeStorage: true }));
  await pushManifest(registry, "test/a", image({ layers: [layer("multipart cli")] }), "latest");
  for (const part of ["first", "second"]) {
    const start = await fetch(`${registry.url}/v2/test/a/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get("location") as string, registry.url);
    const patch = await fetch(location, {
      method: "PATCH",
      headers: { "Content-Type": "application/octet-stream" },
      body: `an interrupted ${part} upload`,
    });
    expect(patch.status, await patch.text()).toBe(202);
  }
  await registry.stop();
  const uploadsDir = `${ROOT}/docker/registry/v2/repositories/test/a/_uploads/`;
  const started = await bucket.uploads(uploadsDir);
  expect(started).toHaveLength(2);
  // The second loses its _uploads keys (startedat, hashstates): only its parts are left.
  const orphan = (started[1] as { key: string }).key.slice(uploadsDir.length).split("/")[0] as string;
  const orphanKeys = await bucket.keys(`${uploadsDir}${orphan}/`);
  expect(orphanKeys.some((k) => k.endsWith("/startedat"))).toBe(true);
  await bucket.delete(orphanKeys);

  const env = {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_PROFILE: "",
  };
  const gc = (...args: string[]) =>
    runRegsweep(
      ["gc", "--storage", `s3://${bucket.name}/${ROOT}`, "--s3-endpoint", server.endpoint, ...args],
      {
        env,
      },
    );
  const keysBefore = await bucket.keys(`${ROOT}/`);

  // Younger than the upload age: kept, with a note, nothing planned for them.
  const young = await gc("--grace", "0", "--upload-age", "1h", "--dry-run");
  expect(young.code, young.stderr).toBe(0);
  expect(young.stdout + young.stderr).toContain("kept 2 multipart uploads younger than the upload age");
  expect(young.stdout).not.toContain("abort multipart");

  // Old (--upload-age 0): the dry run prints both aborts and counts them, its JSON names them; nothing changes.
  const dry = await gc("--grace", "0", "--upload-age", "0", "--dry-run");
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toMatch(/abort multipart\s+test\/a\s+-\s+\S+\s+-\s+stale multipart upload\n/);
  expect(dry.stdout).toContain("stale multipart upload (its _uploads folder is gone)");
  expect(dry.stdout + dry.stderr).toContain("2 multipart uploads (aborted)");
  const json = await gc("--grace", "0", "--upload-age", "0", "--dry-run", "--json");
  const plan = JSON.parse(json.stdout) as {
    actions: Array<{ type: string; upload?: string; uploadId?: string; path?: string }>;
    summary: { multipartUploads?: number };
  };
  const aborts = plan.actions.filter((a) => a.type === "multipart-upload");
  expect(aborts.map((a) => a.uploadId).sort()).toEqual(started.map((u) => u.uploadId).sort());
  expect(aborts.map((a) => `${ROOT}/${a.path}`).sort()).toEqual(started.map((u) => u.key).sort());
  expect(plan.summary.multipartUploads).toBe(2);
  expect(await bucket.uploads(`${ROOT}/`)).toEqual(started);
  expect(await bucket.keys(`${ROOT}/`)).toEqual(keysBefore);

  const real = await gc("--grace", "0", "--upload-age", "0", "--yes");
  expect(real.code, real.stderr).toBe(0);
  expect(real.stdout + real.stderr).toContain("2 multipart uploads aborted");
  expect(await bucket.uploads(`${ROOT}/`)).toEqual([]);
  expect((await bucket.keys(`${ROOT}/`)).some((k) => k.includes("/_uploads/"))).toBe(false);
  // Nothing left to do: a second run plans no abort.
  const again = await gc("--grace", "0", "--upload-age", "0", "--dry-run", "--json");
  expect(
    (JSON.parse(again.stdout) as typeof plan).actions.filter((a) => a.type === "multipart-upload"),
  ).toEqual([]);
}, 180_000);
