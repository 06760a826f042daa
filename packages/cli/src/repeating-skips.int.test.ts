import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { layer } from "@regsweep/testbed";
import { expect, it, onTestFinished } from "vitest";
import type { Digest } from "../../cleaner/src/model/digest.js";
import { pathFor } from "../../cleaner/src/storage/storage-paths.js";
import { addUnreadSignatureLink, hostileBaseSpec } from "../../cleaner/src/test-support/hostile-trees.js";
import { useStorageTree } from "../../cleaner/src/test-support/storage-tree.js";
import { runRegsweep } from "./test-support/run-regsweep.js";

const FIX = "remove the folder if its manifest is gone, or restore its link";
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

// Issue #18: a folder of signature links that is no revision (an API-deleted schema1 manifest on 2.x) is
// named while planning, with the fix: the dry run already says it, the real run keeps what it names and
// finishes the rest (exit 0), and nothing is planned again until the operator fixes it.
it("gc names a folder of unread signature links while planning, with the fix; keeps its blob; once fixed, the blob goes", async () => {
  const root = await useStorageTree(hostileBaseSpec);
  const { folder, blob } = await addUnreadSignatureLink(root);
  const data = join(root, pathFor({ kind: "blob-data", digest: blob }));
  const gc = ["gc", "-m", "--grace", "0", "--storage", root];
  const dry = await runRegsweep([...gc, "--dry-run"]);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stderr).toContain(folder);
  expect(dry.stderr).toContain(FIX);
  expect(dry.stdout).not.toContain(blob.slice(7, 19));
  for (const attempt of [1, 2]) {
    const run = await runRegsweep([...gc, "--yes"]);
    expect(run.code, `run ${attempt}: ${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toContain(folder);
    expect(await exists(data), "the blob a link names stays").toBe(true);
  }
  await rm(join(root, folder), { recursive: true });
  const fixed = await runRegsweep([...gc, "--yes"]);
  expect(fixed.code, fixed.stderr).toBe(0);
  expect(await exists(data)).toBe(false);
  const again = await runRegsweep([...gc, "--yes"]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain("nothing to do");
});

// The same folder appearing between a saved plan and its apply: every re-apply would skip the same blob,
// so apply stops as a precondition (exit 3) naming the folder to fix.
it("a saved plan applied after such a folder appeared exits 3 naming the folder", async () => {
  const root = await useStorageTree(hostileBaseSpec);
  const dir = await mkdtemp(join(tmpdir(), "regsweep-plan-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const signature = layer("hostile orphaned schema1 signature");
  const data = join(root, pathFor({ kind: "blob-data", digest: signature.digest as Digest }));
  await mkdir(join(data, ".."), { recursive: true });
  await writeFile(data, signature.bytes);
  const planFile = join(dir, "plan.json");
  const saved = await runRegsweep(["gc", "-m", "--grace", "0", "--storage", root, "--out", planFile]);
  expect(saved.code, saved.stderr).toBe(0);
  const { folder } = await addUnreadSignatureLink(root);
  const apply = await runRegsweep(["apply", planFile, "--yes"]);
  expect(apply.code, `${apply.stdout}\n${apply.stderr}`).toBe(3);
  expect(apply.stderr).toContain("would be skipped again by every re-run");
  expect(apply.stderr).toContain(folder);
  expect(await exists(data)).toBe(true);
});
