// regsweep gc vs upstream `registry garbage-collect --delete-untagged` on object storage: a real S3 server
// (OpenStack Swift with s3api, or Ceph RGW with --s3-server ceph; started here and stopped here), one synthetic tree per size uploaded once per
// contender (a bucket each), every request counted by operation through a proxy in front of the endpoint.
// A benchmark script, not a test: `pnpm --filter @regsweep/cleaner bench:s3 -- --manifests 10000`.
//
// Per size (N/4, N/2, N unless --sizes): write the tree to disk (make-tree.mjs), run regsweep's dry run on
// the disk store (the memory baseline), upload it into two buckets in parallel, then
//   1. regsweep gc -m dry run, and the real run (the library on an S3Store, as the CLI runs it);
//   2. upstream registry garbage-collect --delete-untagged with its s3 driver, capped at --upstream-cap-min;
//   3. the disk store's real run on the same tree (memory baseline);
//   4. judge both buckets: tags whose manifest, index children or blobs are gone (checkInventory over the
//      bucket read back), and multi-arch tags whose children are gone (by key);
//   5. the delete floor: the keys regsweep deleted, uploaded again into a bucket of their own and deleted
//      with DeleteObjects alone (no reads, no order), timed against the span of regsweep's own deletes.
// Options: --manifests N (10000) --sizes a,b,c --upstream-cap-min M (10) --registry PATH --tmp DIR
//          --upload-concurrency C (64) --skip-upstream --s3-server swift|ceph (swift)
//          --repositories R (the generator's default, manifests/100 between 10 and 500): fewer repositories at
//          the same size mean more tags per repository, the shape upstream's --delete-untagged slows down on
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { makeTree } from "./make-tree.mjs";
import { ownCpuMs, processesCpuMs } from "./process-cpu.mjs";
import { startCountingProxy } from "./s3-counting-proxy.mjs";
import { lastJson, startBenchRun } from "./timed-process.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const { values: args } = parseArgs({
  // pnpm passes a literal "--" through to the script.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    manifests: { type: "string", default: "10000" },
    sizes: { type: "string" },
    "upstream-cap-min": { type: "string", default: "10" },
    registry: { type: "string" },
    tmp: { type: "string", default: tmpdir() },
    "upload-concurrency": { type: "string", default: "64" },
    "skip-upstream": { type: "boolean", default: false },
    "s3-server": { type: "string", default: "swift" },
    repositories: { type: "string" },
  },
});
const N = Number(args.manifests);
const sizes = args.sizes
  ? args.sizes.split(",").map(Number)
  : [...new Set([Math.round(N / 4), Math.round(N / 2), N])];
const capMs = Number(args["upstream-cap-min"]) * 60_000;
const registry =
  args.registry ??
  [join(repoRoot, ".cache/registries/2.8.2/registry"), "/usr/bin/docker-registry"].find((p) => existsSync(p));
if (!registry) throw new Error("no registry binary: run scripts/setup.sh or pass --registry");
for (const built of ["packages/cleaner/dist/index.js", "packages/testbed/dist/index.js"]) {
  if (!existsSync(join(repoRoot, built)))
    throw new Error("build first: pnpm --filter @regsweep/testbed --filter @regsweep/cleaner build");
}
const { createS3Client, DEFAULT_S3_CONCURRENCY, DELETE_CHUNK } = await import("../dist/index.js");
const { startS3Server, S3_SERVER_KINDS } = await import("@regsweep/testbed");
const serverKind = args["s3-server"];
if (!S3_SERVER_KINDS.includes(serverKind))
  throw new Error(`--s3-server must be one of ${S3_SERVER_KINDS.join(", ")}, not '${serverKind}'`);
const serverName = serverKind === "ceph" ? "Ceph RGW" : "Swift s3api";
const repositories = args.repositories === undefined ? undefined : Number(args.repositories);

let server;
let proxy;
const { work, log, measure, cleanup } = await startBenchRun({
  tag: "s3-bench",
  tmp: args.tmp,
  prefix: "regsweep-s3bench-",
  // The S3 server and the counting proxy are this script's own: a Ctrl-C stops them too.
  onStop: async () => {
    await proxy?.close().catch(() => {});
    await server?.stop().catch(() => {});
  },
});

async function walkFiles(root) {
  const files = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(relative(root, join(entry.parentPath, entry.name)));
  }
  return files;
}

/** Every key of a bucket (straight to the server, not counted). */
async function allKeys(client, bucket) {
  const keys = new Set();
  let token;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.add(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Tagged multi-arch indexes with a child whose revision link or blob data is gone (what `gc -m` breaks). */
function brokenMultiArch(keys, meta) {
  let broken = 0;
  for (const t of meta.multiArchTags) {
    const gone = t.children.some((child) => {
      const hex = child.slice(7);
      return (
        !keys.has(
          `${PREFIX}docker/registry/v2/repositories/${t.repository}/_manifests/revisions/sha256/${hex}/link`,
        ) || !keys.has(`${PREFIX}docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`)
      );
    });
    if (gone) broken++;
  }
  return { multiArchTags: meta.multiArchTags.length, broken };
}

/** The registry's rootdirectory in the buckets (`/reg`): keys start with `reg/`. */
const PREFIX = "reg/";
const results = {
  manifests: N,
  sizes,
  registry,
  server: serverName,
  repositories,
  startedAt: new Date().toISOString(),
  runs: [],
};

try {
  log(`work dir ${work}; starting ${serverName}`);
  let t = performance.now();
  server = await startS3Server(serverKind);
  log(`${serverName} at ${server.endpoint} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  proxy = await startCountingProxy(server.endpoint);
  const credentials = { accessKeyId: server.accessKey, secretAccessKey: server.secretKey };
  const direct = createS3Client({
    bucket: "",
    prefix: "",
    region: server.region,
    endpoint: server.endpoint,
    credentials,
  });
  const target = (bucket, endpoint) => ({
    bucket,
    prefix: PREFIX,
    region: server.region,
    endpoint,
    credentials,
  });
  const nodeStep = (label, script, mode, arg) =>
    measure(label, process.execPath, ["--expose-gc", join(here, script), mode, arg]);
  // Whose CPU a step took: the contender's process (clientMs, from /usr/bin/time), the S3 server's processes,
  // and this script's (the counting proxy; for the floor, the client too). On 2 cores the sum over the wall
  // tells whether the step waited on the machine or on itself.
  const cpuMark = () => ({ server: processesCpuMs(server.pids), own: ownCpuMs() });
  const cpuSince = (mark, clientMs = 0) => ({
    clientMs,
    serverMs: processesCpuMs(server.pids) - mark.server,
    benchMs: ownCpuMs() - mark.own,
  });

  /** Creates the buckets and puts every object into each (straight to the server, not counted). */
  async function upload(rels, bucketNames, bodyOf) {
    const limit = pLimit(Number(args["upload-concurrency"]));
    for (const b of bucketNames) await direct.send(new CreateBucketCommand({ Bucket: b }));
    await Promise.all(
      rels.map((rel) =>
        limit(async () => {
          const body = await bodyOf(rel);
          for (const b of bucketNames) {
            await direct.send(new PutObjectCommand({ Bucket: b, Key: `${PREFIX}${rel}`, Body: body }));
          }
        }),
      ),
    );
  }

  /**
   * The delete floor: the keys regsweep's real run deleted, put into a fresh bucket and deleted again with
   * nothing but DeleteObjects, at the store's request size and concurrency (125 keys, 32 in flight), no
   * reads, no order between them. What the server takes to delete those objects at all.
   */
  async function deleteFloor(bodies, rels, bucket) {
    await upload(rels, [bucket], async (rel) => bodies.get(rel));
    const counted = createS3Client(target(bucket, proxy.endpoint), undefined, {
      maxSockets: DEFAULT_S3_CONCURRENCY,
    });
    const inFlight = pLimit(DEFAULT_S3_CONCURRENCY);
    const chunks = [];
    for (let i = 0; i < rels.length; i += DELETE_CHUNK) chunks.push(rels.slice(i, i + DELETE_CHUNK));
    proxy.take();
    const mark = cpuMark();
    const t0 = performance.now();
    const errors = await Promise.all(
      chunks.map((chunk) =>
        inFlight(async () => {
          const out = await counted.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: chunk.map((rel) => ({ Key: `${PREFIX}${rel}` })), Quiet: true },
            }),
          );
          return out.Errors?.length ?? 0;
        }),
      ),
    );
    const wallMs = performance.now() - t0;
    const cpu = cpuSince(mark);
    const requests = proxy.take();
    counted.destroy();
    const keysLeft = (await allKeys(direct, bucket)).size;
    if (keysLeft > 0 || errors.some((e) => e > 0))
      throw new Error(
        `delete floor: ${keysLeft} keys left in ${bucket}, ${errors.reduce((a, b) => a + b, 0)} errors`,
      );
    return { keys: rels.length, wallMs, keysPerSecond: rels.length / (wallMs / 1000), requests, cpu };
  }

  for (const n of sizes) {
    const run = { manifests: n };
    results.runs.push(run);
    const root = join(work, `tree-${n}`);
    t = performance.now();
    const meta = makeTree(root, { manifests: n, ...(repositories ? { repositories } : {}) });
    run.tree = { ...meta, multiArchTags: meta.multiArchTags.length };
    log(
      `${n}: wrote ${meta.manifests} manifests, ${meta.blobs} blobs, ${meta.files} files in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    log(`${n}: disk store dry run (memory baseline)`);
    const diskDry = await nodeStep(`disk-dry-${n}`, "run-one.mjs", "dry", root);
    run.diskDry = { wallMs: diskDry.wallMs, rssKb: diskDry.rssKb, ...lastJson(diskDry.stdout) };

    const files = await walkFiles(root);
    const bodies = new Map();
    const buckets = { regsweep: `bench-${n}-regsweep`, upstream: `bench-${n}-upstream` };
    const contenders = args["skip-upstream"] ? ["regsweep"] : ["regsweep", "upstream"];
    t = performance.now();
    await upload(
      files,
      contenders.map((c) => buckets[c]),
      async (rel) => {
        const body = await readFile(join(root, rel));
        // Kept for the delete floor: the disk store's real run below deletes the files.
        bodies.set(rel, body);
        return body;
      },
    );
    run.uploadMs = performance.now() - t;
    log(
      `${n}: uploaded ${files.length} objects into ${contenders.length} bucket(s) in ${(run.uploadMs / 1000).toFixed(1)} s`,
    );
    proxy.take();

    log(`${n}: regsweep gc -m dry run`);
    let mark = cpuMark();
    const dry = await nodeStep(
      `s3-dry-${n}`,
      "s3-run-one.mjs",
      "dry",
      JSON.stringify(target(buckets.regsweep, proxy.endpoint)),
    );
    run.dry = { wallMs: dry.wallMs, rssKb: dry.rssKb, ...lastJson(dry.stdout), requests: proxy.take() };
    run.dry.cpu = cpuSince(mark, dry.cpuMs);

    log(`${n}: regsweep gc -m real run`);
    mark = cpuMark();
    const real = await nodeStep(
      `s3-real-${n}`,
      "s3-run-one.mjs",
      "real",
      JSON.stringify(target(buckets.regsweep, proxy.endpoint)),
    );
    run.real = { wallMs: real.wallMs, rssKb: real.rssKb, ...lastJson(real.stdout), requests: proxy.take() };
    run.real.cpu = cpuSince(mark, real.cpuMs);

    if (!args["skip-upstream"]) {
      log(`${n}: upstream garbage-collect --delete-untagged (capped at ${capMs / 60_000} min)`);
      const config = join(work, `config-${n}.yml`);
      await writeFile(
        config,
        [
          "version: 0.1",
          "log: {level: error}",
          "storage:",
          "  s3:",
          `    region: ${server.region}`,
          `    regionendpoint: ${proxy.endpoint}`,
          `    bucket: ${buckets.upstream}`,
          `    accesskey: "${server.accessKey}"`,
          `    secretkey: "${server.secretKey}"`,
          "    secure: false",
          "    v4auth: true",
          "    rootdirectory: /reg",
          "  delete: {enabled: true}",
          "  maintenance: {uploadpurging: {enabled: false}}",
          "",
        ].join("\n"),
      );
      // The 2.8 s3 driver panics on a custom CA bundle it cannot load into its transport.
      const { AWS_CA_BUNDLE: _, ...env } = process.env;
      mark = cpuMark();
      const up = await measure(`upstream-${n}`, registry, ["garbage-collect", "--delete-untagged", config], {
        env,
        timeoutMs: capMs,
      });
      run.upstream = {
        wallMs: up.wallMs,
        rssKb: up.rssKb,
        capped: up.capped,
        summaryLine:
          up.stdout
            .trim()
            .split("\n")
            .findLast((l) => /blobs marked/.test(l)) ?? "",
        manifestsEligible: (up.stdout.match(/manifest eligible for deletion/g) ?? []).length,
        requests: proxy.take(),
        cpu: cpuSince(mark, up.cpuMs),
      };
    }

    log(`${n}: disk store real run (memory baseline)`);
    const diskReal = await nodeStep(`disk-real-${n}`, "run-one.mjs", "real", root);
    run.diskReal = { wallMs: diskReal.wallMs, rssKb: diskReal.rssKb, ...lastJson(diskReal.stdout) };

    log(`${n}: judging the buckets`);
    run.judge = {};
    const left = {};
    for (const c of contenders) {
      const check = await nodeStep(
        `check-${c}-${n}`,
        "s3-run-one.mjs",
        "check",
        JSON.stringify(target(buckets[c], server.endpoint)),
      );
      const keys = await allKeys(direct, buckets[c]);
      left[c] = keys;
      run.judge[c] = {
        ...lastJson(check.stdout).check,
        objects: keys.size,
        multiArch: brokenMultiArch(keys, meta),
      };
    }
    run.judge.objectsBefore = files.length;

    // Last, with nothing else running: what deleting the same keys costs the server on its own.
    const gone = files.filter((rel) => !left.regsweep.has(`${PREFIX}${rel}`));
    log(
      `${n}: delete floor: uploading the ${gone.length} objects regsweep deleted into a bucket of their own`,
    );
    run.deleteFloor = await deleteFloor(bodies, gone, `bench-${n}-floor`);
    log(
      `${n}: delete floor: ${gone.length} keys in ${(run.deleteFloor.wallMs / 1000).toFixed(1)} s, ${run.deleteFloor.requests.total} requests`,
    );
    await rm(root, { recursive: true, force: true });
  }
  results.finishedAt = new Date().toISOString();
  printTables(results);
  const resultsFile = join(args.tmp, `regsweep-s3bench-results-${Date.now()}.json`);
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults: ${resultsFile}`);
} finally {
  await cleanup();
}

function printTables(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
  const cpuLine = (c, wallMs) => {
    const total = c.clientMs + c.serverMs + c.benchMs;
    return `${s(c.clientMs)}, ${s(c.serverMs)}, ${s(c.benchMs)}: ${(total / wallMs).toFixed(2)} cores`;
  };
  const row = (cells, w = 16) =>
    console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 36 : w)).join(""));
  // Each operation's count, and the server time its requests took (summed over overlapping requests).
  const ops = (req) =>
    Object.entries(req.byOperation)
      .map(([op, k]) => `${op} ${k} (${s(req.msByOperation?.[op] ?? 0)})`)
      .join(", ");
  for (const run of r.runs) {
    const { tree, dry, real, upstream: up, diskDry, diskReal, judge } = run;
    console.log(
      `\n== ${tree.manifests} manifests in ${tree.repositories} repositories, ${tree.tags} tags (${tree.multiArchTags} multi-arch), ` +
        `${tree.blobs} blobs, ${tree.files} objects (uploaded in ${s(run.uploadMs)}) — ${r.server}, upstream ${r.registry}`,
    );
    row(["step", "wall", "requests", "req/manifest", "peak RSS", "detail"]);
    const per = (k) => (k / tree.manifests).toFixed(2);
    row([
      "regsweep gc -m dry run (S3)",
      s(dry.wallMs),
      dry.requests.total,
      per(dry.requests.total),
      mb(dry.rssKb),
      `read ${s(dry.readMs)}, plan ${s(dry.planMs)}`,
    ]);
    row([
      "regsweep gc -m real run (S3)",
      s(real.wallMs),
      real.requests.total,
      per(real.requests.total),
      mb(real.rssKb),
      `read ${s(real.readMs)}, plan ${s(real.planMs)}, apply ${s(real.applyMs)}`,
    ]);
    if (up) {
      row([
        `upstream garbage-collect -m (S3)${up.capped ? " CAPPED" : ""}`,
        `${up.capped ? ">" : ""}${s(up.wallMs)}`,
        `${up.capped ? ">" : ""}${up.requests.total}`,
        per(up.requests.total),
        mb(up.rssKb),
        up.capped ? `stopped at the ${capMs / 60_000} min cap` : up.summaryLine,
      ]);
    }
    row(["regsweep gc -m dry run (disk store)", s(diskDry.wallMs), "", "", mb(diskDry.rssKb), ""]);
    row(["regsweep gc -m real run (disk store)", s(diskReal.wallMs), "", "", mb(diskReal.rssKb), ""]);
    console.log("  requests by operation (server time their answers took, summed):");
    console.log(`  requests, regsweep dry:  ${ops(dry.requests)}`);
    console.log(`  requests, regsweep real: ${ops(real.requests)}`);
    if (up) console.log(`  requests, upstream:      ${ops(up.requests)}`);
    console.log("  CPU (client, S3 server, counting proxy; over the wall: cores busy of 2):");
    for (const [who, step] of [
      ["regsweep dry ", dry],
      ["regsweep real", real],
      ["upstream     ", up],
      ["delete floor ", run.deleteFloor],
    ]) {
      if (step?.cpu) console.log(`  CPU, ${who}: ${cpuLine(step.cpu, step.wallMs)}`);
    }
    const errors = [dry, real, up].filter(Boolean).map((x) => x.requests.serverErrors);
    if (errors.some((e) => e > 0))
      console.log(`  answers >= 500 (dry, real, upstream): ${errors.join(", ")}`);
    console.log("");
    row(["after the real run", "regsweep", "upstream"]);
    const j = (c, f) => (judge[c] ? f(judge[c]) : "–");
    row(["manifests deleted", real.summary.manifests, up ? up.manifestsEligible : "–"]);
    row([
      "tags broken (checkInventory)",
      j("regsweep", (x) => `${x.brokenTags}/${x.tags}`),
      j("upstream", (x) => `${x.brokenTags}/${x.tags}`),
    ]);
    row([
      "multi-arch tags with a child gone",
      j("regsweep", (x) => `${x.multiArch.broken}/${x.multiArch.multiArchTags}`),
      j("upstream", (x) => `${x.multiArch.broken}/${x.multiArch.multiArchTags}`),
    ]);
    row([
      `objects left (before: ${judge.objectsBefore})`,
      j("regsweep", (x) => x.objects),
      j("upstream", (x) => x.objects),
    ]);
    row(["orphan blobs left", j("regsweep", (x) => x.orphanBlobs), j("upstream", (x) => x.orphanBlobs)]);
    if (run.deleteFloor) {
      // regsweep's deletes against the server's own speed for the same keys (the floor: nothing but them).
      const f = run.deleteFloor;
      const span = real.requests.spanMsByOperation?.DeleteObjects ?? 0;
      console.log(
        `\n  delete floor: the ${f.keys} keys regsweep deleted, alone in ${f.requests.total} DeleteObjects: ${s(f.wallMs)} (${f.keysPerSecond.toFixed(0)} keys/s${f.cpu ? `, ${(f.cpu.serverMs / f.keys).toFixed(1)} ms of server CPU a key` : ""});` +
          ` regsweep's real run sent its ${real.requests.byOperation.DeleteObjects ?? 0} DeleteObjects over ${s(span)}, ${(span / f.wallMs).toFixed(2)}x the floor`,
      );
    }
    const x = (a, b) => `${(a / b).toFixed(1)}x`;
    if (up) {
      console.log(
        `\n  upstream / regsweep real: wall ${up.capped ? ">" : ""}${x(up.wallMs, real.wallMs)}, requests ${up.capped ? ">" : ""}${x(up.requests.total, real.requests.total)}` +
          `   regsweep S3 / disk peak RSS: dry ${x(dry.rssKb, diskDry.rssKb)}, real ${x(real.rssKb, diskReal.rssKb)}`,
      );
    } else {
      console.log(
        `\n  regsweep S3 / disk peak RSS: dry ${x(dry.rssKb, diskDry.rssKb)}, real ${x(real.rssKb, diskReal.rssKb)}`,
      );
    }
  }
  console.log("\nLinearity (per manifest):");
  row(["manifests", "tags/repository", "regsweep real", "req", "upstream", "req", "RSS S3 / disk"], 18);
  for (const run of r.runs) {
    const n = run.tree.manifests;
    const us = (ms) => `${((ms * 1000) / n).toFixed(0)} µs`;
    const q = (k) => (k / n).toFixed(2);
    row(
      [
        n,
        (run.tree.tags / run.tree.repositories).toFixed(1),
        us(run.real.wallMs),
        q(run.real.requests.total),
        run.upstream ? `${run.upstream.capped ? ">" : ""}${us(run.upstream.wallMs)}` : "–",
        run.upstream ? q(run.upstream.requests.total) : "–",
        `${mb(run.real.rssKb)} / ${mb(run.diskReal.rssKb)}`,
      ],
      18,
    );
  }
}
