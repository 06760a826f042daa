#!/usr/bin/env node
import { join } from "node:path";
import { repoRoot } from "@regsweep/testbed";
import { runSoak, type SoakTotals, soakLine } from "./live-gc-soak.js";

// The live-GC soak (scripts/soak-live-gc.sh): regsweep gc -m --live beside a serving 2.8.x registry with
// no cache, the in-memory cache (refused) and redis (evicted), then upstream garbage-collect -m as the peer.
const seconds = Number(process.env.SOAK_SECONDS ?? 120);
const version = process.env.SOAK_REGISTRY ?? "2.8.2";
const regsweepBin = join(repoRoot(), "packages/cli/dist/main.js");
const runs: Array<Pick<SoakTotals, "collector" | "cache">> = [
  { collector: "regsweep", cache: "none" },
  { collector: "regsweep", cache: "inmemory" },
  { collector: "regsweep", cache: "redis" },
  { collector: "upstream", cache: "none" },
];
const results: SoakTotals[] = [];
for (const r of runs) {
  console.error(`[soak] ${r.collector} beside registry ${version}, cache ${r.cache}, ${seconds}s …`);
  const totals = await runSoak({
    version,
    ...r,
    durationMs: (r.cache === "inmemory" ? Math.min(seconds, 20) : seconds) * 1000,
    regsweepBin,
    log: (line) => console.error(`[soak]   ${line}`),
  });
  results.push(totals);
  console.log(soakLine(totals));
  if (totals.refusal) console.log(`         refusal: ${totals.refusal}`);
}
const ours = results.filter((t) => t.collector === "regsweep");
const failures = ours.reduce((n, t) => n + t.brokenTags + Math.max(0, t.checkBroken), 0);
console.log(
  `regsweep live: ${failures} broken tags in total (must be 0); upstream: ${results
    .filter((t) => t.collector === "upstream")
    .map((t) => `${t.brokenTags} of ${t.tagsChecked}`)
    .join(", ")} broken`,
);
process.exitCode = failures === 0 && ours.every((t) => t.cache === "inmemory" || t.bytesFreed > 0) ? 0 : 1;
