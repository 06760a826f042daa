import { randomBytes } from "node:crypto";
import { createTestBucket, type TestBucket } from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { checkDenseDelete, runStoreContract } from "../../test-support/store-contract.js";
import { S3Store } from "./s3-store.js";

const server = inject("s3Server");
let bucket: TestBucket;
beforeAll(async () => {
  bucket = await createTestBucket(server, "contract");
});
afterAll(async () => {
  await bucket?.remove();
});

// Each test in a fresh prefix of one bucket: the rootdirectory handling is part of what is checked.
runStoreContract(`s3 (${server.kind})`, async () => {
  const prefix = `root-${randomBytes(4).toString("hex")}/`;
  const store = new S3Store(
    {
      bucket: bucket.name,
      prefix,
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    },
    { exclusiveSettleMs: 200 },
  );
  return {
    store,
    async dispose() {
      await store.close();
    },
  };
});

// Pages of 2 keys: the first delete's presence listing (17 keys in range) stops at its budget of 7 pages (a
// quarter of the 30 HEADs it saves) and HEADs the keys it did not reach; the second's range holds 2 keys.
it("answers a delete batch's presence from a paged listing and HEADs what it did not reach", async () => {
  const store = new S3Store(
    {
      bucket: bucket.name,
      prefix: `paged-${randomBytes(4).toString("hex")}/`,
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    },
    { listPageKeys: 2 },
  );
  try {
    await checkDenseDelete(store);
    // 60 presence answers: 8 listing pages, and HEADs only for the first keys and those past the budget.
    expect(store.requests.get("ListObjectsV2")).toBeGreaterThanOrEqual(8);
    expect(store.requests.get("HeadObject")).toBeGreaterThan(2);
    expect(store.requests.get("HeadObject")).toBeLessThan(15);
  } finally {
    await store.close();
  }
});
