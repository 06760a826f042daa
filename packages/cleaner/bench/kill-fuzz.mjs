// kill -9 fuzz for `regsweep gc --delete-untagged` (issue #18; invariant 3): on a generated tree of a few
// thousand manifests (with stray entries, if asked), the CLI is killed at random points, again and again. After
// every kill, every tag of the tree must still resolve (its manifest, an index's children, every config and
// layer: revision link, layer link and blob data all there). Then the same command runs to completion and
// the tree must be exactly what one uninterrupted run leaves. Prints kills, checks and failures (must be 0),
// and a last line of JSON for the CI variant (src/kill-fuzz.int.test.ts).
//
//   node bench/kill-fuzz.mjs [--manifests 3000] [--kills 40] [--seed 7] [--strays] [--keep]
//
// Needs the built CLI (pnpm build).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTree, mulberry32 } from "./make-tree.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const manifests = option("manifests", 3000);
const wantedKills = option("kills", 40);
const seed = option("seed", 7);
const withStrays = flag("strays");

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../cli/dist/main.js");
const V2 = "docker/registry/v2";
const REPOS = `${V2}/repositories`;

const rand = mulberry32(seed);

const list = (dir) => {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
};
const read = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};
const isFile = (path) => {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
};
const hexOf = (d) => d.slice(d.indexOf(":") + 1);
const blobData = (root, d) => join(root, V2, "blobs/sha256", hexOf(d).slice(0, 2), hexOf(d), "data");

/** Repository folders (holding `_manifests`), as names. */
function repositories(root) {
  const out = [];
  const walk = (dir, name) => {
    for (const e of list(dir)) {
      if (!e.isDirectory()) continue;
      if (e.name === "_manifests") out.push(name);
      else if (!e.name.startsWith("_")) walk(join(dir, e.name), name ? `${name}/${e.name}` : e.name);
    }
  };
  walk(join(root, REPOS), "");
  return out.sort();
}

/** Every `repository:tag` with a digest in its current link (read straight from the files, no regsweep code). */
function tagsOf(root) {
  const tags = [];
  for (const repo of repositories(root)) {
    for (const t of list(join(root, REPOS, repo, "_manifests/tags"))) {
      if (!t.isDirectory()) continue;
      const digest = read(join(root, REPOS, repo, "_manifests/tags", t.name, "current/link"))?.trim();
      if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) tags.push({ repo, tag: t.name, digest });
    }
  }
  return tags;
}

/** What is missing for `repo@digest` to be pulled: each a path, empty when it resolves. */
function unresolved(root, repo, digest, seen = new Set()) {
  if (seen.has(digest)) return [];
  seen.add(digest);
  const repoDir = join(root, REPOS, repo);
  const missing = [];
  const revision = join(repoDir, "_manifests/revisions/sha256", hexOf(digest), "link");
  if (!isFile(revision)) missing.push(revision);
  const body = read(blobData(root, digest));
  if (body === undefined) return [...missing, blobData(root, digest)];
  let m;
  try {
    m = JSON.parse(body);
  } catch {
    return missing; // a manifest that was corrupt before the run: not ours to judge
  }
  for (const child of m.manifests ?? []) missing.push(...unresolved(root, repo, child.digest, seen));
  for (const b of [m.config, ...(m.layers ?? [])].filter(Boolean)) {
    if (!isFile(blobData(root, b.digest))) missing.push(blobData(root, b.digest));
    const link = join(repoDir, "_layers/sha256", hexOf(b.digest), "link");
    if (!isFile(link)) missing.push(link);
  }
  return missing;
}

/** Path → content hash, link target or `dir`, for every entry (never following links). */
function shape(root) {
  const out = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = path.slice(root.length + 1);
      const info = lstatSync(path);
      if (info.isSymbolicLink()) out.set(rel, `-> ${readlinkSync(path)}`);
      else if (info.isDirectory()) {
        out.set(rel, "dir");
        walk(path);
      } else out.set(rel, createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(root);
  return out;
}

/** The stray entries real disks collect, sprinkled over a few repositories. */
function sprinkleStrays(root) {
  const repos = repositories(root);
  let n = 0;
  for (const repo of repos.filter(() => rand() < 0.2)) {
    const dir = join(root, REPOS, repo);
    writeFileSync(join(dir, "_manifests/tags/.DS_Store"), "Bud1");
    const tags = list(join(dir, "_manifests/tags")).filter((e) => e.isDirectory());
    const tag = tags[Math.floor(rand() * tags.length)];
    if (tag) writeFileSync(join(dir, "_manifests/tags", tag.name, ".DS_Store"), "Bud1");
    mkdirSync(join(dir, "_manifests/revisions/sha256/not-a-digest"), { recursive: true });
    const other = repos[Math.floor(rand() * repos.length)];
    if (other && other !== repo && tags[0])
      symlinkSync(join(root, REPOS, other, "_manifests/tags"), join(dir, "_manifests/tags/linked"));
    n += 4;
  }
  mkdirSync(join(root, REPOS, "lost+found"), { recursive: true });
  return n + 1;
}

function runGc(root, killAfterMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [CLI, "gc", "--delete-untagged", "--grace", "0", "--yes", "--quiet", "--storage", root],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    let killed = false;
    const timer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = child.kill("SIGKILL");
          }, killAfterMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, killed: killed && signal === "SIGKILL", ms: performance.now() - started, stderr });
    });
  });
}

const base = mkdtempSync(join(tmpdir(), "regsweep-kill-fuzz-"));
const pristine = join(base, "tree");
makeTree(pristine, { manifests, seed });
const strays = withStrays ? sprinkleStrays(pristine) : 0;
const tags = tagsOf(pristine);

// The expected result: one uninterrupted run (and its duration, to spread the kills over).
const reference = join(base, "reference");
cpSync(pristine, reference, { recursive: true, verbatimSymlinks: true });
const once = await runGc(reference);
if (once.code !== 0) throw new Error(`the uninterrupted run failed (${once.code}): ${once.stderr}`);
const expected = shape(reference);
rmSync(reference, { recursive: true, force: true });

let kills = 0;
let checks = 0;
let failures = 0;
let rounds = 0;
let mismatches = 0;
const failed = [];
while (kills < wantedKills) {
  rounds++;
  const work = join(base, `work-${rounds}`);
  cpSync(pristine, work, { recursive: true, verbatimSymlinks: true });
  for (let attempt = 0; kills < wantedKills && attempt < 50; attempt++) {
    const run = await runGc(work, Math.floor(rand() * once.ms));
    if (!run.killed) {
      if (run.code !== 0) failed.push(`round ${rounds}: a run exited ${run.code}: ${run.stderr.trim()}`);
      break;
    }
    kills++;
    checks++;
    const broken = tags.flatMap((t) =>
      unresolved(work, t.repo, t.digest).map((p) => `${t.repo}:${t.tag} ${p}`),
    );
    if (broken.length > 0) {
      failures++;
      failed.push(`after kill ${kills}: ${broken.length} missing, e.g. ${broken[0]}`);
    }
  }
  // Run to completion (a resumed run finishes the journal; the next plans nothing), then compare.
  for (let i = 0; i < 3; i++) {
    const run = await runGc(work);
    if (run.code !== 0)
      failed.push(`round ${rounds}: completing run exited ${run.code}: ${run.stderr.trim()}`);
  }
  checks++;
  const got = shape(work);
  const diff = [...new Set([...expected.keys(), ...got.keys()])].filter(
    (p) => expected.get(p) !== got.get(p),
  );
  if (diff.length > 0) {
    mismatches++;
    failures++;
    failed.push(
      `round ${rounds}: ${diff.length} paths differ from one uninterrupted run: ${diff
        .slice(0, 6)
        .map((p) => `${p} (${expected.get(p)} vs ${got.get(p)})`)
        .join(", ")}`,
    );
  }
  rmSync(work, { recursive: true, force: true });
}
if (!flag("keep")) rmSync(base, { recursive: true, force: true });

for (const f of failed.slice(0, 20)) console.log(`FAIL ${f}`);
console.log(
  `kill-fuzz: ${manifests} manifests, ${tags.length} tags, ${strays} stray entries; uninterrupted run ${Math.round(once.ms)} ms; ` +
    `${rounds} rounds, ${kills} kills, ${checks} checks, ${failures} failures (${mismatches} final trees differing)`,
);
console.log(
  JSON.stringify({
    manifests,
    tags: tags.length,
    strays,
    rounds,
    kills,
    checks,
    failures,
    mismatches,
    errors: failed.length,
  }),
);
process.exitCode = failures > 0 || failed.length > 0 ? 1 : 0;
