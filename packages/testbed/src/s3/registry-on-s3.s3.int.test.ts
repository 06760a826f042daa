import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { pushManifest } from "../push.js";
import { availableRegistryVersions } from "../registry-binary.js";
import { startRegistryProcess } from "../registry-process.js";
import { expectPullable, skopeoCopy } from "../skopeo.js";
import { image, layer } from "../test-images.js";
import { createTestBucket, type TestBucket } from "./s3-test-client.js";

const server = inject("s3Server");
const versions = availableRegistryVersions().filter((v) => /^2\.[78]\./.test(v));

it(`the run has an S3 server (${server.kind} at ${server.endpoint}) and registries for the s3 driver`, () => {
  expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(versions, "no 2.7/2.8 registry binary in .cache/registries: run scripts/setup.sh").not.toHaveLength(
    0,
  );
});

/** What regsweep's lock finds on each server: RGW honours `If-None-Match: *` on PUT, Swift 2.30 says 501. */
const conditionalCreate = { swift: "not-implemented", ceph: "honoured" } as const;

it("the server takes keys with odd characters, and conditional creates as expected of it", async () => {
  await using bucket = await createTestBucket(server);
  const key = "docker/registry/v2/repositories/a b+c/_layers/sha256/ü/link";
  await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: "x" }));
  const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }));
  expect(head.ContentLength).toBe(1);
  expect(await bucket.keys()).toEqual([key]);

  const create = () =>
    bucket.client
      .send(new PutObjectCommand({ Bucket: bucket.name, Key: "lock", Body: "x", IfNoneMatch: "*" }))
      .then(
        () => 200,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
      );
  const statuses = [await create(), await create()];
  expect(statuses).toEqual(conditionalCreate[server.kind] === "honoured" ? [200, 412] : [501, 501]);
});

describe.each(versions)(`registry %s on the s3 driver (${server.kind})`, (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const bucketFor = async () => {
    const bucket = await createTestBucket(server);
    cleanup.push(() => bucket.remove());
    return bucket;
  };
  const registryOn = async (bucket: TestBucket, rootDirectory?: string) => {
    const registry = await startRegistryProcess({
      version,
      s3: { ...server, bucket: bucket.name, ...(rootDirectory ? { rootDirectory } : {}) },
    });
    cleanup.push(() => registry.stop({ removeStorage: true }));
    return registry;
  };

  it("stores pushed images under <rootdirectory>/docker/registry/v2, serves them after a restart, takes skopeo's chunked push", async () => {
    const bucket = await bucketFor();
    let registry = await registryOn(bucket, "/reg");
    const pushed = image({ layers: [layer("base"), layer(`app ${version}`)] });
    await pushManifest(registry, "test/app", pushed, "v1");
    // skopeo uploads with POST + PATCH + PUT: the resume path through ListMultipartUploads.
    await skopeoCopy(`docker://${registry.host}/test/app:v1`, `docker://${registry.host}/copy/app:v1`);
    const keys = await bucket.keys();
    expect(keys).toContain(`reg/docker/registry/v2/repositories/test/app/_manifests/tags/v1/current/link`);
    expect(keys).toContain(
      `reg/docker/registry/v2/repositories/copy/app/_manifests/revisions/sha256/${pushed.digest.slice(7)}/link`,
    );
    expect(keys.every((k) => k.startsWith("reg/docker/registry/v2/"))).toBe(true);

    await registry.stop();
    registry = await registryOn(bucket, "/reg");
    await expectPullable(registry.host, "test/app:v1", pushed.digest);
    await expectPullable(registry.host, "copy/app:v1", pushed.digest);
  });
});
