// One measured step, run in its own process so its peak RSS is its own (the parent wraps it in
// /usr/bin/time -v). Prints one JSON line: phase timings and what it did.
//
//   node run-one.mjs dry|real|floor|check <storage root> [concurrency]
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import { checkInventory } from "../dist/check-storage.js";
import { applyPlan, planDeletion, readStorageInventory } from "../dist/index.js";

const [mode, root, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg ?? 64);
const now = () => performance.now();
const out = { mode };

if (mode === "dry" || mode === "real") {
  let t = now();
  const inventory = await readStorageInventory(root);
  out.readMs = now() - t;
  t = now();
  const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], {
    graceMs: 0,
    nowMs: Date.now(),
  });
  out.planMs = now() - t;
  out.summary = {
    ...plan.summary,
    repositoriesRemoved: plan.summary.repositoriesRemoved.length,
    actions: plan.actions.length,
  };
  out.findings = inventory.findings.length;
  if (mode === "real") {
    t = now();
    const report = await applyPlan(root, plan);
    out.applyMs = now() - t;
    out.apply = {
      done: report.done,
      alreadyGone: report.alreadyGone,
      skipped: report.skipped.length,
      bytesFreed: report.bytesFreed,
    };
  }
} else if (mode === "check") {
  const inventory = await readStorageInventory(root);
  const report = checkInventory(inventory);
  out.check = {
    ...report.summary,
    orphanRevisions: report.orphans.revisions.count,
    orphanLayerLinks: report.orphans.layerLinks.count,
    orphanBlobs: report.orphans.blobs.count,
    blobs: inventory.blobs.size,
    revisions: inventory.repositories.reduce((n, r) => n + r.revisions.length, 0),
    findings: inventory.findings.length,
  };
} else if (mode === "floor") {
  // The least any storage GC must do: list the tree, read every link file once and every manifest once.
  const t = now();
  const limit = pLimit(concurrency);
  const manifestDigests = new Set();
  let links = 0;
  async function walk(dir, underRevisions) {
    const entries = await limit(() => readdir(dir, { withFileTypes: true }));
    await Promise.all(
      entries.map(async (e) => {
        const path = join(dir, e.name);
        if (e.isDirectory()) return walk(path, underRevisions || e.name === "revisions");
        if (e.name !== "link") return;
        const text = (await limit(() => readFile(path, "utf8"))).trim();
        links++;
        if (underRevisions) manifestDigests.add(text);
      }),
    );
  }
  await walk(join(root, "docker/registry/v2/repositories"), false);
  const blobsDir = join(root, "docker/registry/v2/blobs/sha256");
  let blobs = 0;
  await Promise.all(
    (await readdir(blobsDir)).map(async (prefix) => {
      blobs += (await limit(() => readdir(join(blobsDir, prefix)))).length;
    }),
  );
  let manifestBytes = 0;
  await Promise.all(
    [...manifestDigests].map((d) =>
      limit(async () => {
        const hex = d.slice("sha256:".length);
        const bytes = await readFile(join(blobsDir, hex.slice(0, 2), hex, "data"));
        JSON.parse(bytes.toString("utf8"));
        manifestBytes += bytes.length;
      }),
    ),
  );
  out.floorMs = now() - t;
  out.floor = { links, manifests: manifestDigests.size, blobs, manifestBytes };
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
out.maxRssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify(out));
