import { randomBytes } from "node:crypto";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { createTestBucket, type TestBucket } from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { checkDenseDelete, runStoreContract } from "../../test-support/store-contract.js";
import type { StoreDeleted, StoreOutcome } from "../store.js";
import { createS3Client } from "./s3-client.js";
import { S3Store } from "./s3-store.js";

const server = inject("s3Server");
let bucket: TestBucket;
beforeAll(async () => {
  bucket = await createTestBucket(server, "contract");
});
afterAll(async () => {
  await bucket?.remove();
});

/** The run's server and bucket, below a fresh prefix `<name>-<random>/`. */
const targetBelow = (name: string) => ({
  bucket: bucket.name,
  prefix: `${name}-${randomBytes(4).toString("hex")}/`,
  region: server.region,
  endpoint: server.endpoint,
  credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
});

// Each test in a fresh prefix of one bucket: the rootdirectory handling is part of what is checked.
runStoreContract(`s3 (${server.kind})`, async () => {
  const store = new S3Store(targetBelow("root"), { exclusiveSettleMs: 200 });
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
  const store = new S3Store(targetBelow("paged"), { listPageKeys: 2 });
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

// Rounds of 4 keys, 4 requests at once: 40 jobs (every other one present) are 10 rounds of one DeleteObjects
// each. One round at a time never has two DeleteObjects out; overlapping rounds do, and every job's answer
// still comes back once, for its own index.
it("overlaps its delete rounds and answers every job once, for its own index", async () => {
  const target = targetBelow("rounds");
  // The real client, counted and watched: how many DeleteObjects are sent, and how many are out at once.
  const counts = new Map<string, number>();
  const client = createS3Client(target, counts);
  const send = client.send.bind(client);
  let out = 0;
  let mostOut = 0;
  client.send = (async (command: Parameters<typeof send>[0]) => {
    const watched = command instanceof DeleteObjectsCommand;
    if (watched) mostOut = Math.max(mostOut, ++out);
    try {
      return await send(command);
    } finally {
      if (watched) out--;
    }
  }) as typeof client.send;
  const store = new S3Store(target, { client, concurrency: 4, deleteRoundKeys: 4 });
  try {
    const name = (i: number) => `r/k${String(i).padStart(2, "0")}/data`;
    const jobs = Array.from({ length: 40 }, (_, i) => ({ files: [name(i)], upTo: `r/k${i}` }));
    for (let i = 0; i < jobs.length; i += 2) await store.put(name(i), [String(i)]);
    const answers: Array<Array<StoreOutcome<StoreDeleted>>> = jobs.map(() => []);
    await store.delete(jobs, {
      onBatch: (start, results) => {
        for (const [i, r] of results.entries()) answers[start + i]?.push(r);
      },
    });
    expect(answers.map((a) => a.map((r) => (r as StoreDeleted).files))).toEqual(
      jobs.map((_, i) => [i % 2 === 0 ? 1 : 0]),
    );
    expect(counts.get("DeleteObjects")).toBe(10);
    expect(mostOut).toBeGreaterThan(1);
    const left: string[] = [];
    for await (const batch of store.walk("r")) left.push(...batch.map((e) => e.path));
    expect(left).toEqual([]);
  } finally {
    await store.close();
  }
});
