// One measured regsweep step on a bucket, in its own process so its peak RSS is its own (s3-bench.mjs
// wraps it in /usr/bin/time -v). The library on an S3Store, as the CLI runs it. Prints one JSON line.
//
//   node s3-run-one.mjs dry|real|check '<S3Target as JSON>'
import { applyPlan, checkInventory, limitHeapGrowth, planDeletion, S3Store } from "../dist/index.js";
import { readStoreInventory } from "../dist/storage/read-storage-inventory.js";

const [mode, targetJson] = process.argv.slice(2);
const target = JSON.parse(targetJson);
const now = () => performance.now();
const out = { mode };
const store = new S3Store(target);

try {
  if (mode === "dry" || mode === "real") {
    limitHeapGrowth();
    // Read and plan in a function of their own, so once planned only the plan is kept (as the CLI does).
    const readAndPlan = async () => {
      let t = now();
      const inventory = await readStoreInventory(store);
      out.readMs = now() - t;
      t = now();
      const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], {
        graceMs: 0,
        nowMs: Date.now(),
      });
      out.planMs = now() - t;
      out.findings = inventory.findings.length;
      return plan;
    };
    const plan = await readAndPlan();
    out.summary = {
      ...plan.summary,
      repositoriesRemoved: plan.summary.repositoriesRemoved.length,
      actions: plan.actions.length,
    };
    if (mode === "real") {
      const t = now();
      const report = await applyPlan(store, plan);
      out.applyMs = now() - t;
      out.apply = {
        done: report.done,
        alreadyGone: report.alreadyGone,
        skipped: report.skipped.length,
        bytesFreed: report.bytesFreed,
      };
    }
  } else if (mode === "check") {
    const inventory = await readStoreInventory(store);
    const report = checkInventory(inventory);
    out.check = {
      ...report.summary,
      orphanRevisions: report.orphans.revisions.count,
      orphanBlobs: report.orphans.blobs.count,
      blobs: inventory.blobs.size,
      revisions: inventory.repositories.reduce((n, r) => n + r.revisions.length, 0),
    };
  } else {
    console.error(`unknown mode ${mode}`);
    process.exit(2);
  }
} finally {
  await store.close();
}
out.storeRequests = Object.fromEntries(store.requests);
out.maxRssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify(out));
