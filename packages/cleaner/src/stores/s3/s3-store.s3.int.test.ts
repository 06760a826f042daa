import { randomBytes } from "node:crypto";
import { createTestBucket, type TestBucket } from "@regsweep/testbed";
import { afterAll, beforeAll, inject } from "vitest";
import { runStoreContract } from "../../test-support/store-contract.js";
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
