// One measured step, run in its own process so its peak RSS is its own (the parent wraps it in
// /usr/bin/time -v). Prints one JSON line: phase timings and what it did.
//
//   node run-one.mjs dry|real|floor|rmfloor|check <storage root> [I/O threads]
import { spawn } from "node:child_process";
import { unlinkSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { planDeletion, readStorageInventory } from "../dist/index.js";
import { ownDir } from "../dist/plan/plan-paths.js";
import { FileIoPool } from "../dist/stores/fs/file-io-pool.js";
import { measureCheck, measureGc } from "./measure-gc.mjs";

const [mode, root, threadsArg] = process.argv.slice(2);
const ioThreads = threadsArg ? Number(threadsArg) : undefined;
const now = () => performance.now();
const out = { mode };

if (mode === "dry" || mode === "real") {
  await measureGc(root, mode, out, { ioThreads });
} else if (mode === "rmfloor") {
  // The least the removals cost: the folders the real run removes (each action's own folder), handed to
  // parallel `rm -rf` processes. Reading and planning are not timed.
  const inventory = await readStorageInventory(root, { ioThreads });
  const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], {
    graceMs: 0,
    nowMs: Date.now(),
  });
  const folders = plan.actions.filter((a) => a.type !== "prune").map((a) => join(root, ownDir(a)));
  const list = join(root, "..", `rmfloor-${process.pid}.list`);
  writeFileSync(list, `${folders.join("\0")}\0`);
  const t = now();
  const code = await new Promise((resolve) => {
    const child = spawn("sh", ["-c", `xargs -0 -P 8 -n 64 rm -rf < '${list}'`], { stdio: "inherit" });
    child.on("close", resolve);
  });
  out.rmFloorMs = now() - t;
  unlinkSync(list);
  if (code !== 0) throw new Error(`rm exited ${code}`);
  out.rmFloor = { folders: folders.length };
} else if (mode === "check") {
  await measureCheck(root, out);
} else if (mode === "floor") {
  // The least any storage GC must do: list the tree, read every link file once and every manifest once.
  // It uses regsweep's own I/O threads (synchronous calls on a few threads), the fastest way we know to do
  // this from Node; an fs/promises walk with 64 reads in flight takes about 3x as long.
  const t = now();
  const io = new FileIoPool(ioThreads);
  const manifestDigests = new Set();
  let links = 0;
  let level = [{ dir: join(root, "docker/registry/v2/repositories"), underRevisions: false }];
  while (level.length > 0) {
    const listings = await io.list(level.map((l) => l.dir));
    const next = [];
    const linkFiles = [];
    listings.forEach((entries, i) => {
      const { dir, underRevisions } = level[i];
      for (const [name, kind] of Array.isArray(entries) ? entries : []) {
        const path = join(dir, name);
        if (kind === "dir") next.push({ dir: path, underRevisions: underRevisions || name === "revisions" });
        else if (name === "link") linkFiles.push({ path, underRevisions });
      }
    });
    const texts = await io.readSmall(linkFiles.map((l) => l.path));
    texts.forEach((r, i) => {
      links++;
      if (linkFiles[i].underRevisions) manifestDigests.add(r.text.trim());
    });
    level = next;
  }
  const blobsDir = join(root, "docker/registry/v2/blobs/sha256");
  const prefixes = await readdir(blobsDir);
  const listings = await io.list(prefixes.map((p) => join(blobsDir, p)));
  const blobs = listings.reduce((n, l) => n + l.length, 0);
  const paths = [...manifestDigests].map((d) => {
    const hex = d.slice("sha256:".length);
    return join(blobsDir, hex.slice(0, 2), hex, "data");
  });
  let manifestBytes = 0;
  for (let i = 0; i < paths.length; i += 2048) {
    for (const bytes of await io.read(paths.slice(i, i + 2048))) {
      JSON.parse(Buffer.from(bytes).toString("utf8"));
      manifestBytes += bytes.length;
    }
  }
  await io.close();
  out.floorMs = now() - t;
  out.floor = { links, manifests: manifestDigests.size, blobs, manifestBytes };
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
out.maxRssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify(out));
