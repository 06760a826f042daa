import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTestBucket,
  holdRequestSlot,
  type S3ServerInfo,
  s3ChainEnv,
  startThrottledFrontend,
  type TestBucket,
  type ThrottleOptions,
} from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { runRegsweep } from "./test-support/run-regsweep.js";
import { writeSyntheticTree } from "./test-support/synthetic-tree.js";

// gc on a bucket whose server throttles, for real: a second front end of the run's server onto the same data
// (testbed's startThrottledFrontend): on Swift the proxy's own `ratelimit` middleware, which s3api answers
// as 503 SlowDown; on Ceph RGW's request throttler (rgw_max_concurrent_requests), 503 SlowDown too. The
// test sets up and checks through the server's own endpoint; only regsweep meets the throttling. Figures
// are request counts from the CLI's -v summary, never times. Needs the built CLI (pnpm build).
const server = inject("s3Server");
let bucket: TestBucket;
let tree: string;
/** How many files the tree has (each prefix gets all of them). */
let written = 0;
beforeAll(async () => {
  bucket = await createTestBucket(server, "throttle");
  tree = await mkdtemp(join(tmpdir(), "regsweep-s3-throttle-"));
  await writeSyntheticTree(tree, { manifests: 60, seed: 7 });
  for (const prefix of ["reference", "throttled", "refused"]) written = await upload(prefix);
});
afterAll(async () => {
  await bucket?.remove();
  if (tree) await rm(tree, { recursive: true, force: true });
});

const env = s3ChainEnv(server);
const at = (s: S3ServerInfo, prefix: string) => [
  "--storage",
  `s3://${bucket.name}/${prefix}`,
  "--s3-endpoint",
  s.endpoint,
];
const gc = (s: S3ServerInfo, prefix: string) => ["gc", "-m", "--grace", "0", "--yes", "-v", ...at(s, prefix)];

/** Every file of the synthetic tree, under `prefix` in the bucket; answers how many. */
const upload = (prefix: string): Promise<number> => bucket.putTree(prefix, tree);

const keysBelow = async (prefix: string) =>
  (await bucket.keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));

/** The -v summary line: `s3: N requests (…); T throttled (in flight down to L of 32), F failed for now`. */
function summary(stderr: string): { requests: number; throttled: number; lowest: number } {
  const m = /s3: (\d+) requests \(.*\); (\d+) throttled \(in flight down to (\d+) of \d+\)/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return { requests: Number(m?.[1]), throttled: Number(m?.[2]), lowest: Number(m?.[3]) };
}

async function tagsWhole(prefix: string): Promise<void> {
  const check = await runRegsweep(["check", "--json", ...at(server, prefix)], { env });
  expect(check.code, check.stderr).toBe(0);
  const report = JSON.parse(check.stdout) as { summary: { tags: number; okTags: number } };
  expect(report.summary.tags).toBeGreaterThan(0);
  expect(report.summary.okTags).toBe(report.summary.tags);
}

/** Throttling that lets a run through, more slowly (most requests at 32 in flight are refused at first). */
const SOME: ThrottleOptions = {
  swift: { writesPerSecond: 40, listingsPerSecond: 40, maxSleepSeconds: 0.05 },
  ceph: { maxConcurrentRequests: 4 },
};

it("gc -m under throttling (503 SlowDown) ends as it does without: the same keys, every kept tag whole", async () => {
  const once = await runRegsweep(gc(server, "reference"), { env });
  expect(once.code, once.stderr).toBe(0);
  const plain = summary(once.stderr);
  const expected = await keysBelow("reference");
  expect(expected.length).toBeLessThan(written);

  await using frontend = await startThrottledFrontend(server, SOME);
  const run = await runRegsweep(gc(frontend.server, "throttled"), { env });
  expect(run.code, run.stderr).toBe(0);
  const throttled = summary(run.stderr);
  console.log(
    `${server.kind}: unthrottled ${plain.requests} requests, ${plain.throttled} throttled; throttled front end ${throttled.requests} requests, ${throttled.throttled} answered 503 SlowDown and retried, in flight down to ${throttled.lowest}`,
  );
  expect(plain.throttled).toBe(0);
  expect(throttled.throttled).toBeGreaterThan(0);
  expect(throttled.lowest).toBeLessThan(32);
  // Every refused request was sent again: as many more requests as refusals, give or take the presence
  // listings a refusal turned into HEADs.
  expect(throttled.requests).toBeGreaterThanOrEqual(plain.requests);
  expect(await keysBelow("throttled")).toEqual(expected);
  await tagsWhole("throttled");
}, 300_000);

it("throttling that never stops ends the run with storage.throttled (exit 4) and a hint; nothing is lost and a re-run converges", async () => {
  const before = await keysBelow("refused");
  // Swift: every write but the first refused (listings and reads pass: the run reads, plans and takes its
  // lock, then the journal's first write is refused). Ceph: one request at a time, and a GET this test
  // never reads holds that one slot, so every request regsweep sends is refused.
  await using frontend = await startThrottledFrontend(server, {
    swift: { writesPerSecond: 0.001, maxSleepSeconds: 0.05 },
    ceph: { maxConcurrentRequests: 1 },
  });
  const holder = server.kind === "ceph" ? await holdRequestSlot(frontend.server, bucket) : undefined;
  try {
    const run = await runRegsweep(gc(frontend.server, "refused"), { env: { ...env, AWS_MAX_ATTEMPTS: "3" } });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/kept throttling/);
    expect(run.stderr).toMatch(/hint: the S3 server kept answering 503 SlowDown/);
    const refused = summary(run.stderr);
    console.log(
      `${server.kind}: never-ending throttling: ${refused.requests} requests, ${refused.throttled} refused`,
    );
    expect(refused.throttled).toBeGreaterThan(0);
  } finally {
    holder?.release();
  }
  expect(await keysBelow("refused").then((k) => k.filter((x) => !x.startsWith(".regsweep/")))).toEqual(
    before.filter((x) => !x.startsWith(".regsweep/")),
  );
  await tagsWhole("refused");
  // Through the server's own endpoint: the same end as one run that was never throttled.
  const again = await runRegsweep(gc(server, "refused"), { env });
  expect(again.code, again.stderr).toBe(0);
  expect(await keysBelow("refused")).toEqual(await keysBelow("reference"));
}, 300_000);
