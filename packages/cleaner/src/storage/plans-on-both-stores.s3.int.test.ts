import { setTimeout as sleep } from "node:timers/promises";
import {
  availableRegistryVersions,
  createTestBucket,
  image,
  index,
  layer,
  pushManifest,
  referrer,
  type StartedRegistry,
  startRegistryProcess,
  type TestBucket,
  type TestManifest,
} from "@regsweep/testbed";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { planJsonChunks } from "../plan/plan-json.js";
import { openFsStore } from "../stores/fs/open-fs-store.js";
import { S3Store } from "../stores/s3/s3-store.js";
import { isStoreMissing, type Store } from "../stores/store.js";
import { readStoreInventory } from "./read-storage-inventory.js";

// The same images pushed through the same registry version onto a folder and onto a bucket must give the
// same plans: the engine decides from what the tree holds, never from which store holds it. Plans are
// compared as the JSON users save, after only the location and the time of planning are taken out.

const server = inject("s3Server");
// One version keeps the run short: the last 2.8 here (the s3 driver of 2.7 and 2.8 is the same code).
const version = availableRegistryVersions()
  .filter((v) => /^2\.8\./.test(v))
  .at(-1);

/**
 * One set of images, made once (their configs carry a creation time) and pushed to both registries: tags
 * moved by re-pushes, a multi-arch index with a referrer, an untagged index, shared layers.
 */
function makePushes(): Array<{ repository: string; manifest: TestManifest; tag?: string }> {
  const base = layer("base");
  const amd = image({
    layers: [layer("amd64")],
    format: "oci",
    platform: { os: "linux", architecture: "amd64" },
  });
  const arm = image({
    layers: [layer("arm64")],
    format: "oci",
    platform: { os: "linux", architecture: "arm64" },
  });
  const api = image({ layers: [base, layer("api")] });
  return [
    ...[1, 2, 3].map((n) => ({
      repository: "app/web",
      manifest: image({ layers: [base, layer(`web ${n}`)] }),
      tag: "latest",
    })),
    { repository: "app/web", manifest: image({ layers: [base, layer("web stable")] }), tag: "stable" },
    { repository: "app/api", manifest: api, tag: "v1" },
    { repository: "app/api", manifest: api, tag: "v1-copy" },
    { repository: "multi", manifest: index([amd, arm]), tag: "v1" },
    { repository: "multi", manifest: index([image({ layers: [layer("old")], format: "oci" })]) },
    { repository: "multi", manifest: referrer(amd) },
  ];
}

async function push(registry: StartedRegistry, pushes: ReturnType<typeof makePushes>): Promise<void> {
  for (const { repository, manifest, tag } of pushes) await pushManifest(registry, repository, manifest, tag);
}

const requests: Array<{ name: string; requests: PlanRequest[]; deletes?: false }> = [
  { name: "gc --delete-untagged", requests: [{ kind: "gc", deleteUntagged: true }] },
  {
    name: "gc (every manifest is linked: nothing to do)",
    requests: [{ kind: "gc", deleteUntagged: false }],
    deletes: false,
  },
  { name: "delete a tag", requests: [{ kind: "delete-tag", repository: "app/web", tag: "stable" }] },
  { name: "delete a repository", requests: [{ kind: "delete-repository", repository: "app/api" }] },
  {
    name: "delete untagged of one repository",
    requests: [{ kind: "delete-untagged", repository: "app/web" }],
  },
];

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/**
 * The plan as saved, without what differs by store and moment: its source and time; the order of actions
 * within each run of one type (a folder lists in the filesystem's order, a bucket in key order; phases
 * keep their order). Prunes stay: a bucket's prefixes are the folders a prune names, and the store drops
 * them with their last key.
 */
async function normalisedPlan(store: Store, request: PlanRequest[]): Promise<Record<string, unknown>> {
  const inventory = await readStoreInventory(store);
  const plan = planDeletion(inventory, request, { graceMs: 0, nowMs: Date.now() });
  const json = JSON.parse([...planJsonChunks(plan)].join(""));
  json.source = "<location>";
  json.createdAtMs = 0;
  const actions: Array<{ type: string }> = json.actions;
  const runs: Array<Array<{ type: string }>> = [];
  for (const a of actions) {
    const run = runs.at(-1);
    if (run?.[0]?.type === a.type) run.push(a);
    else runs.push([a]);
  }
  json.actions = runs.flatMap((run) => run.sort(byJson));
  for (const key of ["kept", "findings", "snapshots"]) json[key]?.sort(byJson);
  delete json.summary.actions;
  return json;
}

describe.runIf(version !== undefined)(`plans for the same pushes on a folder and on ${server.kind}`, () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  let fs: Store;
  let s3: Store;
  let bucket: TestBucket;

  it(`registry ${version} takes the same pushes on both`, { timeout: 120_000 }, async () => {
    bucket = await createTestBucket(server, "plans");
    cleanup.push(() => bucket.remove());
    const onDisk = await startRegistryProcess({ version: version as string });
    cleanup.push(() => onDisk.stop({ removeStorage: true }));
    const onS3 = await startRegistryProcess({
      version: version as string,
      s3: { ...server, bucket: bucket.name, rootDirectory: "/reg" },
    });
    cleanup.push(() => onS3.stop({ removeStorage: true }));
    const pushes = makePushes();
    await push(onDisk, pushes);
    await push(onS3, pushes);
    const pushedAt = Date.now();
    // Offline, as regsweep runs on a tree.
    await onDisk.stop();
    await onS3.stop();
    // Swift's listings give LastModified in whole seconds, rounded up: a key written 0.3 s ago can look newer
    // than now, and even grace 0 rightly keeps it as young. Plan only once the pushes are older than that.
    await sleep(Math.max(0, pushedAt + 1_200 - Date.now()));
    fs = await openFsStore(onDisk.storageRoot);
    cleanup.push(() => fs.close());
    s3 = new S3Store({
      bucket: bucket.name,
      prefix: "reg/",
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    });
    cleanup.push(() => s3.close());
  });

  for (const { name, requests: request, deletes } of requests) {
    it(`${name}: the same plan`, { timeout: 60_000 }, async () => {
      const [onDisk, onS3] = [await normalisedPlan(fs, request), await normalisedPlan(s3, request)];
      // A folder the registry left empty (a repository's `_uploads` after its pushes) exists only on a
      // filesystem: a bucket holds no prefix without a key, so there is nothing to prune there.
      const prunes = (onDisk.actions as Array<{ type: string; path: string }>).filter(
        (a) => a.type === "prune",
      );
      const inBucket = await s3.list(prunes.map((a) => a.path));
      const emptyOnDiskOnly = new Set(prunes.filter((_, i) => isStoreMissing(inBucket[i])));
      for (const a of emptyOnDiskOnly) expect(a.path).toMatch(/\/_uploads$/);
      onDisk.actions = (onDisk.actions as unknown[]).filter((a) => !emptyOnDiskOnly.has(a as never));
      if (deletes !== false)
        expect((onS3.actions as unknown[]).length, "the plan deletes something").toBeGreaterThan(0);
      expect(onS3).toEqual(onDisk);
    });
  }
});
