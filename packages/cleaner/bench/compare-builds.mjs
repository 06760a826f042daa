// Two builds of regsweep on one synthetic storage tree, in the same run, old and new alternating, so a
// refactor can show it costs nothing: wall time and peak RSS of the dry run (read + plan) and the real run
// (read + plan + apply) through each build's own bench/run-one.mjs, and of the CLI's `gc -m --dry-run`.
// A benchmark script, not a test:
//
//   pnpm --filter @regsweep/cleaner bench:builds -- --old /tmp/old --manifests 50000 --rounds 2
//
// --old is the root of another checkout, built (pnpm build). Each round runs the old build first on odd
// rounds and the new one first on even rounds, so neither always gets the warmer cache; each real run gets
// its own `cp -a` copy of the tree, written back (sync) before it starts. The table shows the best of the
// rounds for each build (a shared machine only ever slows a run down) and new/old.
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeTree } from "./make-tree.mjs";
import { lastJson, startBenchRun } from "./timed-process.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    old: { type: "string" },
    manifests: { type: "string", default: "50000" },
    rounds: { type: "string", default: "2" },
    tmp: { type: "string", default: tmpdir() },
  },
});
if (!args.old) throw new Error("--old <checkout root> is required");
const builds = [
  { name: "old", root: resolve(args.old) },
  { name: "new", root: resolve(here, "../../..") },
];
for (const b of builds)
  for (const f of [
    "packages/cleaner/dist/index.js",
    "packages/cli/dist/main.js",
    "packages/cleaner/bench/run-one.mjs",
  ])
    if (!existsSync(join(b.root, f)))
      throw new Error(`${b.name} build has no ${f}: build it first (pnpm build)`);
const N = Number(args.manifests);
const rounds = Number(args.rounds);

const bench = await startBenchRun({ tag: "bench", tmp: args.tmp, prefix: "regsweep-builds-" });
const { work, log, cleanup } = bench;
const measure = (command, commandArgs, options) =>
  bench.measure([command, ...commandArgs.slice(0, 2)].join(" "), command, commandArgs, options);
const sh = (cmd, cmdArgs) => measure(cmd, cmdArgs);

const steps = {
  dry: (b, root) =>
    measure(process.execPath, [
      "--expose-gc",
      join(b.root, "packages/cleaner/bench/run-one.mjs"),
      "dry",
      root,
    ]),
  real: (b, root) =>
    measure(process.execPath, [
      "--expose-gc",
      join(b.root, "packages/cleaner/bench/run-one.mjs"),
      "real",
      root,
    ]),
  cliDry: (b, root) =>
    measure(
      process.execPath,
      [join(b.root, "packages/cli/dist/main.js"), "gc", "-m", "--grace", "0", "--dry-run", "-s", root],
      {
        stdoutFile: join(work, `cli-dry-${b.name}.txt`),
      },
    ),
};
const results = { manifests: N, rounds, startedAt: new Date().toISOString(), builds, runs: [] };
try {
  const base = join(work, "base");
  let t = performance.now();
  const meta = makeTree(base, { manifests: N });
  await sh("sync", []);
  log(
    `wrote ${meta.manifests} manifests, ${meta.files} files in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const step of ["dry", "cliDry"])
      for (const b of order) {
        const r = await steps[step](b, base);
        const detail = step === "dry" ? lastJson(r.stdout) : {};
        results.runs.push({
          round,
          build: b.name,
          step,
          wallMs: r.wallMs,
          rssKb: r.rssKb,
          cpuMs: r.cpuMs,
          detail,
        });
        log(
          `round ${round + 1} ${step} ${b.name}: ${(r.wallMs / 1000).toFixed(2)} s, ${(r.rssKb / 1024).toFixed(0)} MiB`,
        );
      }
    for (const b of order) {
      const copy = join(work, `copy-${b.name}`);
      t = performance.now();
      await sh("cp", ["-a", base, copy]);
      await sh("sync", []);
      const r = await steps.real(b, copy);
      const detail = lastJson(r.stdout);
      results.runs.push({
        round,
        build: b.name,
        step: "real",
        wallMs: r.wallMs,
        rssKb: r.rssKb,
        cpuMs: r.cpuMs,
        detail,
      });
      log(
        `round ${round + 1} real ${b.name}: ${(r.wallMs / 1000).toFixed(2)} s, ${(r.rssKb / 1024).toFixed(0)} MiB`,
      );
      await rm(copy, { recursive: true, force: true });
      await sh("sync", []);
    }
  }
  results.finishedAt = new Date().toISOString();
  printTable(results, meta);
  const file = join(args.tmp, `regsweep-builds-${Date.now()}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults: ${file}`);
} finally {
  await cleanup();
}

function printTable(r, meta) {
  const row = (cells) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 22 : 13)).join(""));
  const best = (step, build, key) =>
    Math.min(...r.runs.filter((x) => x.step === step && x.build === build).map((x) => x[key]));
  console.log(
    `\n${meta.manifests} manifests (${meta.tags} tags, ${meta.files} files), best of ${r.rounds} rounds, old/new alternating`,
  );
  console.log(`old: ${builds[0].root}\nnew: ${builds[1].root}\n`);
  row([
    "step",
    "old wall",
    "new wall",
    "new/old",
    "old CPU",
    "new CPU",
    "new/old",
    "old peak",
    "new peak",
    "new/old",
  ]);
  for (const step of ["dry", "cliDry", "real"]) {
    const cells = [
      step === "dry" ? "dry (read + plan)" : step === "real" ? "real (+ apply)" : "CLI gc -m --dry-run",
    ];
    for (const [key, fmt] of [
      ["wallMs", (ms) => `${(ms / 1000).toFixed(2)} s`],
      ["cpuMs", (ms) => `${(ms / 1000).toFixed(2)} s`],
      ["rssKb", (kb) => `${(kb / 1024).toFixed(0)} MiB`],
    ]) {
      const o = best(step, "old", key);
      const n = best(step, "new", key);
      cells.push(fmt(o), fmt(n), `${(n / o).toFixed(3)}x`);
    }
    row(cells);
  }
  const same = ["dry", "real"].every((step) => {
    const s = (b) => JSON.stringify(r.runs.find((x) => x.step === step && x.build === b)?.detail.summary);
    return s("old") === s("new");
  });
  console.log(`\nplan summaries (dry and real) equal across builds: ${same ? "yes" : "NO"}`);
}
