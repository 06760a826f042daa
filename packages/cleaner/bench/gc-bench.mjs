// regsweep gc vs upstream `registry garbage-collect --delete-untagged` on one large synthetic storage tree.
// A benchmark script, not a test: `pnpm --filter @regsweep/cleaner bench -- --manifests 2000`.
//
// Steps (each measured step runs in its own process under /usr/bin/time -v, for its peak RSS):
//   1. write the tree (make-tree.mjs); read-only steps run on it: the floor (list the tree, read every link
//      and every manifest once), regsweep's dry run through the library (phase timings) and the CLI;
//   2. each deleting step on its own `cp -a` copy made (and synced) right before it: the delete floor,
//      regsweep's real run through the library and through the CLI, upstream garbage-collect -m;
//   3. judge both results: multi-arch tags whose children are gone, and checkInventory over each tree;
//   4. linearity: regsweep real runs at N/4 and N/2 on freshly written trees.
// Options: --manifests N (50000) --repositories R --io-threads T (library default) --registry PATH --timeout-min M (30)
//          --tmp DIR --keep --skip-linearity
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeTree } from "./make-tree.mjs";
import { lastJson, startBenchRun } from "./timed-process.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const { values: args } = parseArgs({
  // pnpm passes a literal "--" through to the script.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    manifests: { type: "string", default: "50000" },
    repositories: { type: "string" },
    "io-threads": { type: "string" },
    registry: { type: "string" },
    "timeout-min": { type: "string", default: "30" },
    tmp: { type: "string", default: tmpdir() },
    keep: { type: "boolean", default: false },
    "skip-linearity": { type: "boolean", default: false },
  },
});
const N = Number(args.manifests);
const repositories = args.repositories ? Number(args.repositories) : undefined;
const ioThreads = args["io-threads"] ? String(Number(args["io-threads"])) : undefined;
const timeoutMs = Number(args["timeout-min"]) * 60_000;
const registry =
  args.registry ??
  [join(repoRoot, ".cache/registries/2.8.2/registry"), "/usr/bin/docker-registry"].find((p) => existsSync(p));
if (!registry) throw new Error("no registry binary: run scripts/setup.sh or pass --registry");
const cliBin = join(repoRoot, "packages/cli/dist/main.js");
if (!existsSync(join(here, "../dist/index.js")) || !existsSync(cliBin))
  throw new Error("build first: pnpm --filter @regsweep/cleaner --filter regsweep build");

const bench = await startBenchRun({
  tag: "bench",
  tmp: args.tmp,
  prefix: "regsweep-bench-",
  keep: args.keep,
});
const { work, log, cleanup } = bench;
/** A step; one over --timeout-min fails the bench (its figures would not be a full run's). */
async function measure(label, command, commandArgs, options = {}) {
  const r = await bench.measure(label, command, commandArgs, { ...options, timeoutMs });
  if (r.capped) throw new Error(`${label}: over ${args["timeout-min"]} min, stopped`);
  return r;
}

const node = (mode, root) =>
  measure(`${mode}-${root}`, process.execPath, [
    "--expose-gc",
    join(here, "run-one.mjs"),
    mode,
    root,
    ...(ioThreads ? [ioThreads] : []),
  ]);
const sh = (label, cmd, cmdArgs) => measure(label, cmd, cmdArgs);

async function writeTree(name, manifests) {
  const root = join(work, name);
  const t = performance.now();
  const meta = makeTree(root, {
    manifests,
    repositories: repositories && Math.max(1, Math.round((repositories * manifests) / N)),
  });
  log(
    `wrote ${name}: ${meta.manifests} manifests, ${meta.blobs} blobs, ${meta.files} files in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  // Written back before anything is timed on it (see freshCopy).
  await sh(`sync-${name}`, "sync", []);
  return { root, meta };
}

/** Tagged multi-arch indexes with a child whose revision link or blob data is gone (what `gc -m` breaks). */
async function brokenMultiArch(root, meta) {
  const exists = (p) =>
    stat(join(root, p)).then(
      () => true,
      () => false,
    );
  let broken = 0;
  let childrenGone = 0;
  for (const t of meta.multiArchTags) {
    let tagBroken = false;
    for (const child of t.children) {
      const hex = child.slice(7);
      const rev = await exists(
        `docker/registry/v2/repositories/${t.repository}/_manifests/revisions/sha256/${hex}/link`,
      );
      const data = await exists(`docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
      if (!rev || !data) {
        tagBroken = true;
        childrenGone++;
      }
    }
    if (tagBroken) broken++;
  }
  return { multiArchTags: meta.multiArchTags.length, broken, childrenGone };
}

const results = {
  manifests: N,
  ioThreads: ioThreads ? Number(ioThreads) : "default",
  registry,
  startedAt: new Date().toISOString(),
  steps: {},
};
try {
  log(`work dir ${work}; registry ${registry}`);
  const { root: base, meta } = await writeTree("base", N);
  results.tree = { ...meta, multiArchTags: meta.multiArchTags.length };
  await writeFile(join(work, "meta.json"), JSON.stringify(meta));

  const copyA = join(work, "regsweep");
  const copyB = join(work, "upstream");
  const copyC = join(work, "rmfloor");
  const copyD = join(work, "cli");
  /**
   * Each tool that deletes gets its own copy, made right before its step and written back (sync): every
   * deleting step starts on an equally warm tree, with no other copy's writeback competing with it.
   */
  const freshCopy = async (label, copy) => {
    const t = performance.now();
    await sh(`copy-${label}`, "cp", ["-a", base, copy]);
    await sh(`sync-${label}`, "sync", []);
    log(`copied for ${label} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  const removeCopy = async (copy) => {
    await rm(copy, { recursive: true, force: true });
    await sh("sync-removed", "sync", []);
  };

  log("floor");
  const floor = await node("floor", base);
  results.steps.floor = { wallMs: floor.wallMs, rssKb: floor.rssKb, ...lastJson(floor.stdout) };

  log("regsweep dry run (read + plan)");
  const dry = await node("dry", base);
  results.steps.regsweepDry = { wallMs: dry.wallMs, rssKb: dry.rssKb, ...lastJson(dry.stdout) };

  // The CLI as an operator runs it: no registry is running on these trees, so --grace 0 is allowed.
  const cli = (label, root, extra, stdoutFile) =>
    measure(label, process.execPath, [cliBin, "gc", "-m", "--grace", "0", "-s", root, ...extra], {
      stdoutFile,
    });
  log("regsweep CLI dry run: gc -m --grace 0 --dry-run (the plan's lines to a file)");
  const cliDry = await cli("cli-dry", base, ["--dry-run"], join(work, "cli-dry.txt"));
  results.steps.cliDry = { wallMs: cliDry.wallMs, rssKb: cliDry.rssKb, outputBytes: cliDry.outBytes };

  await freshCopy("the delete floor", copyC);
  log("delete floor: rm -rf of the folders the real run removes");
  const rmFloor = await node("rmfloor", copyC);
  results.steps.rmFloor = { wallMs: rmFloor.wallMs, rssKb: rmFloor.rssKb, ...lastJson(rmFloor.stdout) };
  await removeCopy(copyC);

  await freshCopy("regsweep", copyA);
  log("regsweep real run (read + plan + apply)");
  const real = await node("real", copyA);
  results.steps.regsweepReal = { wallMs: real.wallMs, rssKb: real.rssKb, ...lastJson(real.stdout) };

  await freshCopy("the CLI", copyD);
  log("regsweep CLI real run: gc -m --grace 0 --yes");
  const cliReal = await cli("cli-real", copyD, ["--yes"], join(work, "cli-real.txt"));
  results.steps.cliReal = { wallMs: cliReal.wallMs, rssKb: cliReal.rssKb, outputBytes: cliReal.outBytes };
  await removeCopy(copyD);

  await freshCopy("upstream", copyB);
  log("upstream garbage-collect --delete-untagged");
  const config = join(work, "config.yml");
  await writeFile(
    config,
    `version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: ${copyB}}\n  delete: {enabled: true}\n  maintenance: {uploadpurging: {enabled: false}}\n`,
  );
  const gcLog = join(work, "upstream-gc.log");
  const up = await measure("upstream", registry, ["garbage-collect", "--delete-untagged", config], {
    stdoutFile: gcLog,
  });
  const gcText = await readFile(gcLog, "utf8");
  results.steps.upstream = {
    wallMs: up.wallMs,
    rssKb: up.rssKb,
    outputBytes: up.outBytes,
    summaryLine:
      gcText
        .trim()
        .split("\n")
        .findLast((l) => /blobs marked/.test(l)) ?? "",
    manifestsEligible: (gcText.match(/manifest eligible for deletion/g) ?? []).length,
  };

  log("judging both results");
  results.steps.brokenMultiArch = {
    regsweep: await brokenMultiArch(copyA, meta),
    upstream: await brokenMultiArch(copyB, meta),
  };
  const checkA = await node("check", copyA);
  const checkB = await node("check", copyB);
  const checkBase = await node("check", base);
  results.steps.check = {
    before: lastJson(checkBase.stdout).check,
    regsweep: lastJson(checkA.stdout).check,
    upstream: lastJson(checkB.stdout).check,
    checkWallMs: checkBase.wallMs,
    checkRssKb: checkBase.rssKb,
  };
  await rm(copyA, { recursive: true, force: true });
  await rm(copyB, { recursive: true, force: true });

  results.linearity = [];
  if (!args["skip-linearity"]) {
    for (const n of [Math.round(N / 4), Math.round(N / 2)]) {
      const { root } = await writeTree(`lin-${n}`, n);
      log(`regsweep real run at ${n}`);
      const r = await node("real", root);
      const j = lastJson(r.stdout);
      results.linearity.push({
        manifests: n,
        wallMs: r.wallMs,
        rssKb: r.rssKb,
        readMs: j.readMs,
        planMs: j.planMs,
        applyMs: j.applyMs,
      });
      await rm(root, { recursive: true, force: true });
    }
  }
  const rr = results.steps.regsweepReal;
  results.linearity.push({
    manifests: N,
    wallMs: rr.wallMs,
    rssKb: rr.rssKb,
    readMs: rr.readMs,
    planMs: rr.planMs,
    applyMs: rr.applyMs,
  });
  results.finishedAt = new Date().toISOString();
  printTable(results);
  const resultsDir = join(args.tmp, `regsweep-bench-results-${Date.now()}`);
  await mkdir(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, "results.json");
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults: ${resultsFile}${args.keep ? `\ntrees kept in ${work}` : ""}`);
} finally {
  await cleanup();
}

function printTable(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
  const {
    floor,
    rmFloor,
    regsweepDry: dry,
    regsweepReal: real,
    cliDry,
    cliReal,
    upstream: up,
    brokenMultiArch: broken,
    check,
  } = r.steps;
  const row = (cells) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 44 : 14)).join(""));
  console.log(
    `\nTree: ${r.tree.manifests} manifests in ${r.tree.repositories} repositories, ${r.tree.tags} tags (${r.tree.multiArchTags} multi-arch), ` +
      `${r.tree.blobs} blobs (${(r.tree.blobs / r.tree.manifests).toFixed(2)}/manifest, ${(r.tree.blobBytes / 2 ** 20).toFixed(0)} MiB), ${r.tree.files} files`,
  );
  console.log(`I/O threads ${r.ioThreads}; upstream ${r.registry}\n`);
  row(["step", "wall", "peak RSS", "detail"]);
  row([
    "floor: list tree, read links + manifests",
    s(floor.wallMs),
    mb(floor.rssKb),
    `${floor.floor.links} links, ${floor.floor.manifests} manifests`,
  ]);
  row([
    "delete floor: rm -rf of the same folders",
    s(rmFloor.rmFloorMs),
    "",
    `${rmFloor.rmFloor.folders} folders, xargs -P 8 rm -rf`,
  ]);
  row([
    "regsweep gc -m dry run (read + plan)",
    s(dry.wallMs),
    mb(dry.rssKb),
    `read ${s(dry.readMs)}, plan ${s(dry.planMs)}`,
  ]);
  row([
    "regsweep gc -m real (read + plan + apply)",
    s(real.wallMs),
    mb(real.rssKb),
    `read ${s(real.readMs)}, plan ${s(real.planMs)}, apply ${s(real.applyMs)}`,
  ]);
  row([
    "CLI: regsweep gc -m --dry-run",
    s(cliDry.wallMs),
    mb(cliDry.rssKb),
    `${(cliDry.outputBytes / 2 ** 20).toFixed(0)} MiB of plan lines`,
  ]);
  row(["CLI: regsweep gc -m --yes", s(cliReal.wallMs), mb(cliReal.rssKb), ""]);
  row(["upstream garbage-collect -m", s(up.wallMs), mb(up.rssKb), up.summaryLine]);
  console.log("");
  row(["", "regsweep", "upstream"]);
  row(["manifests deleted", real.summary.manifests, up.manifestsEligible]);
  row([
    "multi-arch tags broken (child gone)",
    `${broken.regsweep.broken}/${broken.regsweep.multiArchTags}`,
    `${broken.upstream.broken}/${broken.upstream.multiArchTags}`,
  ]);
  row(["tags not resolvable after (checkInventory)", check.regsweep.brokenTags, check.upstream.brokenTags]);
  row([`blobs left (before: ${check.before.blobs})`, check.regsweep.blobs, check.upstream.blobs]);
  row([
    `revisions left (before: ${check.before.revisions})`,
    check.regsweep.revisions,
    check.upstream.revisions,
  ]);
  row(["orphan blobs left", check.regsweep.orphanBlobs, check.upstream.orphanBlobs]);
  row(["orphan layer links left", check.regsweep.orphanLayerLinks, check.upstream.orphanLayerLinks]);
  console.log("");
  const x = (a, b) => `${(a / b).toFixed(2)}x`;
  console.log(
    `upstream / regsweep real: ${x(up.wallMs, real.wallMs)} (CLI ${x(up.wallMs, cliReal.wallMs)})   regsweep dry / read floor: ${x(dry.wallMs, floor.wallMs)}   ` +
      `regsweep real / read floor: ${x(real.wallMs, floor.wallMs)}   ` +
      `regsweep real / (read floor + delete floor): ${x(real.wallMs, floor.wallMs + rmFloor.rmFloorMs)}`,
  );
  console.log(
    `checkInventory over the original tree (read + check): ${s(check.checkWallMs)}, ${mb(check.checkRssKb)}`,
  );
  console.log("\nLinearity (regsweep real, wall incl. process start):");
  row(["manifests", "wall", "µs/manifest", "read / plan / apply (µs/manifest)"]);
  for (const l of r.linearity) {
    const per = (ms) => ((ms * 1000) / l.manifests).toFixed(0);
    row([l.manifests, s(l.wallMs), per(l.wallMs), `${per(l.readMs)} / ${per(l.planMs)} / ${per(l.applyMs)}`]);
  }
}
