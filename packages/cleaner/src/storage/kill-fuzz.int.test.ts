import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot, trackProcess } from "@regsweep/testbed";
import { expect, it } from "vitest";

// The short CI variant of bench/kill-fuzz.mjs: a small generated tree with stray entries, the built CLI's
// `gc --delete-untagged` killed at random points; every tag resolves after every kill, and the finished tree
// is what one uninterrupted run leaves. About 14 s on an idle machine (the 3000-manifest run is the script's);
// the timeout leaves room for a loaded one (it took over 60 s beside other engineers' benchmarks).
it("kill -9 at random points: every tag still resolves, and the re-run converges to one run's tree", async () => {
  const script = join(repoRoot(), "packages/cleaner/bench/kill-fuzz.mjs");
  const out = await new Promise<string>((resolve, reject) => {
    // Recorded, so that a run cut short by the timeout does not leave the script running.
    const child = trackProcess(
      spawn(process.execPath, [script, "--manifests", "400", "--kills", "8", "--strays"], {
        stdio: ["ignore", "pipe", "inherit"],
      }),
      { kind: "kill-fuzz" },
    );
    let text = "";
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolve(text));
  });
  const last = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Record<string, number>;
  expect(last.kills, out).toBe(8);
  expect(last.checks, out).toBeGreaterThanOrEqual(9);
  expect(last.failures, out).toBe(0);
  expect(last.errors, out).toBe(0);
}, 180_000);
