import { rm } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { addUnreadSignatureLink, hostileBaseSpec } from "../../cleaner/src/test-support/hostile-trees.js";
import { useStorageTree } from "../../cleaner/src/test-support/storage-tree.js";
import { runRegsweep } from "./test-support/run-regsweep.js";

// Issue #18: exit 5 says "a re-run gets further"; a skip that every re-run repeats is a precondition (exit 3)
// that names what the operator must fix.
it("gc whose only skip would repeat exits 3 naming the folder to fix; once fixed, the same command finishes", async () => {
  const root = await useStorageTree(hostileBaseSpec);
  const { folder } = await addUnreadSignatureLink(root);
  const gc = ["gc", "-m", "--grace", "0", "--yes", "--storage", root];
  for (const attempt of [1, 2]) {
    const run = await runRegsweep(gc);
    expect(run.code, `run ${attempt}: ${run.stdout}\n${run.stderr}`).toBe(3);
    expect(run.stderr).toContain("would be skipped again by every re-run");
    expect(run.stderr).toContain(folder);
    expect(run.stderr).toContain("fix the entries named above");
  }
  await rm(join(root, folder), { recursive: true });
  const fixed = await runRegsweep(gc);
  expect(fixed.code, fixed.stderr).toBe(0);
  const again = await runRegsweep(gc);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain("nothing to do");
});
