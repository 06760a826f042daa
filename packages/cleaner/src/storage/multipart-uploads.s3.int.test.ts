import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTestBucket, image, layer, type TestBucket } from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { S3Store } from "../stores/s3/s3-store.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { treeFiles } from "../test-support/tree-files.js";
import { applyPlan } from "./apply-plan.js";
import { readStorageInventory } from "./read-storage-inventory.js";

// Stale multipart uploads on a real server: an interrupted blob upload leaves its parts under
// `_uploads/<uuid>/data` (billed until aborted, invisible to listings). gc aborts those older than the
// upload age — with their `_uploads/<uuid>/` keys, without them, in a repository that is gone — and keeps
// younger ones; planning changes nothing; a second run finds nothing left to abort.
const server = inject("s3Server");
const ROOT = "reg";
let bucket: TestBucket;
let store: S3Store;
beforeAll(async () => {
  bucket = await createTestBucket(server, "multipart");
  store = new S3Store({
    bucket: bucket.name,
    prefix: `${ROOT}/`,
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
});
afterAll(async () => {
  await store?.close();
  await bucket?.remove();
});

/** Every multipart upload in the bucket, as ListMultipartUploads pages them. */
const uploadsInBucket = async () => (await bucket.uploads()).map(({ key, uploadId }) => ({ key, uploadId }));

const dataKey = (repository: string, upload: string) =>
  `${ROOT}/docker/registry/v2/repositories/${repository}/_uploads/${upload}/data`;

/** What the registry's s3 driver does for a blob upload's first PATCH: a multipart upload with one part. */
const startUpload = (repository: string, upload: string) =>
  bucket.startUpload(dataKey(repository, upload), `part of ${upload}`);

it("gc aborts multipart uploads older than the upload age, with or without their _uploads keys, and keeps young ones", async () => {
  // A repository as a registry leaves it: a kept tag, `old` with its _uploads keys (started two days ago).
  const root = await useStorageTree({
    repositories: {
      app: {
        tags: { latest: image({ layers: [layer("multipart base")], salt: "multipart" }) },
        uploads: [{ id: "old", ageMs: 48 * 3_600_000, bytes: 0 }],
      },
    },
  });
  for (const path of Object.keys(await treeFiles(root)))
    await bucket.put(`${ROOT}/${path}`, await readFile(join(root, path)));
  // Old ones: `old` (its keys there), `orphan` (its keys gone), one of a repository that is gone.
  await startUpload("app", "old");
  await startUpload("app", "orphan");
  await startUpload("gone/repo", "lost");
  // Swift gives Initiated in whole seconds: a gap of more than two seconds separates old from young.
  await new Promise((r) => setTimeout(r, 2_500));
  await startUpload("app", "young");
  const all = await uploadsInBucket();
  expect(all.map((u) => u.key)).toEqual(
    [
      dataKey("app", "old"),
      dataKey("app", "orphan"),
      dataKey("app", "young"),
      dataKey("gone/repo", "lost"),
    ].sort(),
  );

  const inventory = await readStorageInventory(store);
  const initiated = new Map(inventory.multipartUploads?.map((m) => [m.upload, m.initiatedAtMs]));
  expect([...initiated.keys()].sort()).toEqual(["lost", "old", "orphan", "young"]);
  const young = initiated.get("young") as number;
  const newestOld = Math.max(...["old", "orphan", "lost"].map((u) => initiated.get(u) as number));
  expect(young - newestOld).toBeGreaterThanOrEqual(1_000);
  // The upload age falls between the old ones and the young one, seen from the inventory's own "now".
  const uploadMaxAgeMs = inventory.readAtMs - (newestOld + young) / 2;
  const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: false }], {
    graceMs: 0,
    uploadMaxAgeMs,
  });
  const aborts = plan.actions.flatMap((a) =>
    a.type === "multipart-upload" ? [`${a.repository}/${a.upload}: ${a.reason}`] : [],
  );
  expect(aborts).toEqual([
    "app/old: stale multipart upload",
    "app/orphan: stale multipart upload (its _uploads folder is gone)",
    "gone/repo/lost: stale multipart upload (its _uploads folder is gone)",
  ]);
  expect(plan.summary.multipartUploads).toBe(3);
  expect(plan.kept.filter((k) => k.code === "kept.young-upload").map((k) => k.upload)).toEqual(["young"]);
  // Planning (what a dry run does) aborts nothing.
  expect(await uploadsInBucket()).toEqual(all);

  const report = await applyPlan(store, plan);
  expect(report.skipped).toEqual([]);
  expect(report.done).toBe(plan.actions.length);
  expect((await uploadsInBucket()).map((u) => u.key)).toEqual([dataKey("app", "young")]);
  expect((await bucket.keys(`${ROOT}/`)).some((k) => k.includes("/_uploads/old/"))).toBe(false);

  // Applied again (an interrupted run's re-run): the aborts are already done, nothing fails.
  const again = await applyPlan(store, plan);
  expect(again.skipped).toEqual([]);
  expect(again.alreadyGone).toBe(plan.actions.length);
  // A fresh plan, judged from the first one's "now" (seconds later the young one would be old too), keeps
  // the young one and has nothing left to abort.
  const next = planDeletion(await readStorageInventory(store), [{ kind: "gc", deleteUntagged: false }], {
    graceMs: 0,
    uploadMaxAgeMs,
    nowMs: inventory.readAtMs,
  });
  expect(next.actions.filter((a) => a.type === "multipart-upload")).toEqual([]);
  expect(next.kept.map((k) => k.upload)).toEqual(["young"]);
}, 60_000);
