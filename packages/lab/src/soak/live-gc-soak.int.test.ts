import { join } from "node:path";
import { repoRoot } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import { runSoak, soakLine } from "./live-gc-soak.js";

// The CI variant of scripts/soak-live-gc.sh: a short soak per registry cache. The long one prints README's figures.
const regsweepBin = join(repoRoot(), "packages/cli/dist/main.js");
const seconds = Number(process.env.SOAK_SECONDS ?? 20);

describe("regsweep gc -m --live beside a serving 2.8.2 registry, four pushers and two pullers", {
  timeout: 300_000,
}, () => {
  it.each(["none", "redis"] as const)(
    "cache %s: every reported tag pulls digest-checked, garbage is reclaimed",
    async (cache) => {
      const totals = await runSoak({
        version: "2.8.2",
        cache,
        collector: "regsweep",
        durationMs: seconds * 1000,
        regsweepBin,
      });
      console.log(soakLine(totals));
      expect(totals.pushes).toBeGreaterThan(20);
      expect(totals.gcRuns).toBeGreaterThan(1);
      expect(totals.brokenTags).toBe(0);
      expect(totals.checkBroken).toBe(0);
      expect(totals.bytesFreed).toBeGreaterThan(0);
      if (cache === "redis") expect(totals.cacheKeysEvicted).toBeGreaterThan(0);
    },
  );

  it("cache inmemory: the live run is refused before it deletes anything", async () => {
    const totals = await runSoak({
      version: "2.8.2",
      cache: "inmemory",
      collector: "regsweep",
      durationMs: 5_000,
      regsweepBin,
    });
    console.log(soakLine(totals));
    expect(totals.gcRefused).toBe(1);
    expect(totals.refusal).toMatch(/in-memory blob descriptor cache/);
    expect(totals.bytesFreed).toBe(0);
    expect(totals.brokenTags).toBe(0);
  });
});
