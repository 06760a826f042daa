import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { image, index, layer } from "@regsweep/testbed";
import { expect, it } from "vitest";
import type { Inventory } from "../model/inventory.js";
import type { PlanOptions, PlanRequest } from "../model/plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { type TreeSpec, useStorageTree } from "../test-support/storage-tree.js";
import { planDeletion } from "./plan-deletion.js";
import { planJsonChunks } from "./plan-json.js";

// Everything fixed (salts, creation times): the same spec is the same tree, digest for digest.
const created = "2024-01-02T03:04:05.000Z";
const base = layer("golden base rootfs");
const app1 = image({ layers: [base, layer("golden app 1")], salt: "app-1", created });
const app2 = image({ layers: [base, layer("golden app 2")], salt: "app-2", created });
const arm = image({
  layers: [base, layer("golden arm")],
  salt: "arm",
  created,
  format: "oci",
  platform: { os: "linux", architecture: "arm64" },
});
const amd = image({ layers: [base, layer("golden amd")], salt: "amd", created, format: "oci" });
const multi = index([amd, arm]);
const signature = image({
  layers: [layer("golden signature")],
  salt: "sig",
  created,
  format: "oci",
  subject: app2,
  artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
});
const untagged = image({ layers: [layer("golden untagged")], salt: "untagged", created });

const spec: TreeSpec = {
  repositories: {
    "team/app": {
      tags: { latest: { current: app2, history: [app1] }, old: app1 },
      untagged: [untagged, signature],
      orphanLayers: [layer("golden orphan layer")],
      uploads: [
        { id: "0b5c-stale", ageMs: 48 * 3_600_000, bytes: 7 },
        { id: "1d2e-fresh", ageMs: 60_000, bytes: 3 },
      ],
    },
    multi: { tags: { v1: multi, v2: amd } },
    other: { tags: { same: app1 } },
  },
  orphanBlobs: [layer("golden orphan blob")],
};

const requests: Array<{ name: string; requests: PlanRequest[]; options?: Partial<PlanOptions> }> = [
  { name: "delete-tag", requests: [{ kind: "delete-tag", repository: "team/app", tag: "latest" }] },
  { name: "delete-repository", requests: [{ kind: "delete-repository", repository: "multi" }] },
  {
    name: "delete-manifest",
    requests: [{ kind: "delete-manifest", repository: "other", digest: app1.digest as never }],
  },
  { name: "delete-untagged", requests: [{ kind: "delete-untagged", minAgeMs: 3_600_000 }] },
  { name: "gc", requests: [{ kind: "gc", deleteUntagged: false }] },
  { name: "gc-untagged-prune", requests: [{ kind: "gc", deleteUntagged: true }], options: { prune: true } },
  {
    name: "several",
    requests: [
      { kind: "delete-tag", repository: "multi", tag: "v1" },
      { kind: "delete-repository", repository: "other" },
      { kind: "gc", deleteUntagged: true },
    ],
  },
];

/** A fixed number per path, in place of the inode numbers this run's disk happened to give. */
const fixedOrder = (key: string) =>
  Number.parseInt(createHash("sha256").update(key).digest("hex").slice(0, 8), 16) + 1;

/** The inventory made independent of this run: a fixed source, read time and per-file order keys. */
function pinned(inventory: Inventory): Inventory {
  for (const repo of inventory.repositories) {
    for (const r of repo.revisions) r.orderKey = fixedOrder(`${repo.name} revision ${r.digest}`);
    for (const l of repo.layers) l.orderKey = fixedOrder(`${repo.name} layer ${l.digest}`);
  }
  for (const [digest, blob] of inventory.blobs) blob.orderKey = fixedOrder(`blob ${digest}`);
  return { ...inventory, source: "/var/lib/registry" };
}

const GOLDEN = join(import.meta.dirname, "..", "..", "test-fixtures", "golden-plans.txt");

it("makes the same plan JSON, byte for byte, for the same storage tree (golden plans)", async () => {
  const root = await useStorageTree(spec);
  // Pre-existing empty folders, which only --prune removes.
  await mkdir(join(root, "docker/registry/v2/repositories/team/app/_manifests/tags/gone/index"), {
    recursive: true,
  });
  await mkdir(join(root, "docker/registry/v2/blobs/sha256/ff"), { recursive: true });
  const inventory = pinned(await readStorageInventory(root));
  const nowMs = inventory.readAtMs;
  const pieces: string[] = [];
  for (const { name, requests: r, options } of requests) {
    const plan = planDeletion(inventory, r, { ...options, nowMs });
    // Times relative to the run (plan creation, upload ages) are pinned too.
    plan.createdAtMs = 0;
    pieces.push(`// ${name}\n`, ...planJsonChunks(plan, { pretty: true }), "\n");
    pieces.push(`// ${name} (compact)\n`, ...planJsonChunks(plan), "\n");
  }
  const actual = pieces.join("");
  if (process.env.REGSWEEP_UPDATE_GOLDEN === "1") {
    await mkdir(join(GOLDEN, ".."), { recursive: true });
    await writeFile(GOLDEN, actual);
    console.info(`golden plans written to ${GOLDEN}`);
  }
  expect(actual).toBe(await readFile(GOLDEN, "utf8"));
  expect(actual).toContain('"type":"prune","path":"docker/registry/v2/blobs/sha256/ff"');
  expect(actual).toContain('"type":"upload"');
});
