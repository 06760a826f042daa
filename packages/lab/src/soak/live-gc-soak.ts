import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  image,
  layer,
  pushManifest,
  registryBinary,
  type StartedRedis,
  type StartedRegistry,
  skopeoPull,
  startRedisServer,
  startRegistryProcess,
  type TestBlob,
  type TestManifest,
} from "@regsweep/testbed";

const run = promisify(execFile);

/** A loop with nothing to do this round yields to the event loop (a bare return would spin it). */
const idle = () => new Promise<void>((r) => setTimeout(r, 50));
/** Docker layers are `…rootfs.diff.tar.gzip`, OCI ones `…layer…`: anything but the config. */
const isLayer = (b: TestBlob) => !/config/.test(b.mediaType);

/** Which collector runs beside the registry. */
export type SoakCollector = "regsweep" | "upstream";

/** One soak: a real registry, four pushers and two pullers for a while, a collector run again and again. */
export interface SoakOptions {
  version: string;
  cache: "none" | "inmemory" | "redis";
  collector: SoakCollector;
  durationMs: number;
  /** The regsweep CLI (packages/cli/dist/main.js). */
  regsweepBin: string;
  /** regsweep's --settle and --grace. */
  settle?: string;
  grace?: string;
  log?: (line: string) => void;
}

/** What a soak counted. `brokenTags` (and `checkBroken`) must be 0 for a collector that is safe. */
export interface SoakTotals {
  collector: SoakCollector;
  cache: SoakOptions["cache"];
  pushes: number;
  /** Pushes the registry refused (a blob it named was gone): the client is told, nothing stored is lost. */
  pushesRefused: number;
  pulls: number;
  pullMisses: number;
  gcRuns: number;
  /** Runs refused before deleting anything (the inmemory cache). */
  gcRefused: number;
  refusal?: string;
  bytesFreed: number;
  cacheKeysEvicted: number;
  restored: number;
  tagsChecked: number;
  brokenTags: number;
  /** Broken tags `regsweep check` finds on disk at the end (-1: not run). */
  checkBroken: number;
}

interface Pushed {
  repository: string;
  tag: string;
  digest: string;
  manifest: TestManifest;
}

/** A cross-repository mount (`POST …/blobs/uploads/?mount=&from=`); false when the registry started an upload instead. */
async function mountBlob(registry: StartedRegistry, repository: string, blob: TestBlob, from: string) {
  const res = await fetch(
    `${registry.url}/v2/${repository}/blobs/uploads/?mount=${blob.digest}&from=${encodeURIComponent(from)}`,
    { method: "POST" },
  );
  await res.arrayBuffer();
  return res.status === 201;
}

/** Runs one soak and returns its totals; stops everything it started. */
export async function runSoak(o: SoakOptions): Promise<SoakTotals> {
  const log = o.log ?? (() => {});
  let redis: StartedRedis | undefined;
  if (o.cache === "redis") redis = await startRedisServer();
  const registry = await startRegistryProcess({
    version: o.version,
    ...(o.cache === "inmemory" ? { blobDescriptorCache: "inmemory" as const } : {}),
    ...(redis ? { blobDescriptorCache: { redis: redis.addr } } : {}),
  });
  const totals: SoakTotals = {
    collector: o.collector,
    cache: o.cache,
    pushes: 0,
    pushesRefused: 0,
    pulls: 0,
    pullMisses: 0,
    gcRuns: 0,
    gcRefused: 0,
    bytesFreed: 0,
    cacheKeysEvicted: 0,
    restored: 0,
    tagsChecked: 0,
    brokenTags: 0,
    checkBroken: -1,
  };
  const last = new Map<string, Pushed>();
  const deadline = Date.now() + o.durationMs;
  const salt = `${Date.now()}`;
  let n = 0;
  const fresh = (what: string) => layer(`${what} ${salt} ${n++} ${"x".repeat(2000 + (n % 7) * 500)}`);
  const base = fresh("base");
  /** Layers of manifests that just became garbage (the previous `latest`), for the reusing pusher. */
  const orphaned: TestBlob[] = [];

  const push = async (repository: string, tag: string, m: TestManifest) => {
    try {
      const t = Date.now();
      await pushManifest(registry, repository, m, tag);
      totals.pushes++;
      if (process.env.SOAK_DEBUG) log(`pushed ${repository}:${tag} in ${Date.now() - t} ms`);
      last.set(`${repository}:${tag}`, { repository, tag, digest: m.digest, manifest: m });
    } catch (error) {
      if (/BLOB_UNKNOWN|MANIFEST_BLOB_UNKNOWN|blob unknown/i.test(String(error))) totals.pushesRefused++;
      else throw error;
    }
  };
  const pusher = async (body: (i: number) => Promise<void>) => {
    for (let i = 0; Date.now() < deadline; i++) await body(i);
  };
  await push("app/latest", "latest", image({ layers: [base, fresh("latest")] }));

  const pushers = [
    // 1. new images in new repositories
    pusher((i) => push(`new/img${i % 20}`, `v${i}`, image({ layers: [base, fresh("new")] }))),
    // 2. re-pushes of latest: each leaves the previous one untagged (garbage for gc -m)
    pusher(async () => {
      const prev = last.get("app/latest:latest");
      await push("app/latest", "latest", image({ layers: [base, fresh("latest")] }));
      const gone = prev?.manifest.blobs.find((b) => b.digest !== base.digest && isLayer(b));
      if (gone) orphaned.push(gone);
    }),
    // 3. cross-repository mounts of a layer of whatever latest is now
    pusher(async (i) => {
      const from = last.get("app/latest:latest");
      const shared = from?.manifest.blobs.find((b) => isLayer(b) && b.digest !== base.digest);
      if (!from || !shared) return idle();
      const repository = `mount/m${i % 10}`;
      await mountBlob(registry, repository, shared, "app/latest");
      await push(repository, "v1", image({ layers: [shared, fresh("mount")] }));
    }),
    // 4. images that reuse old layers of manifests that just became garbage (HEAD 200 through the old link)
    pusher(async (i) => {
      const old = orphaned.shift();
      if (!old) return idle();
      await push("app/latest", `reuse${i % 5}`, image({ layers: [old] }));
    }),
  ];
  const pullers = [0, 1].map(() =>
    pusher(async () => {
      const all = [...last.values()];
      const pick = all[Math.floor(Math.random() * all.length)];
      if (!pick) return idle();
      const res = await fetch(`${registry.url}/v2/${pick.repository}/manifests/${pick.tag}`, {
        headers: { Accept: pick.manifest.mediaType },
      });
      await res.arrayBuffer();
      totals.pulls++;
      if (res.status !== 200) totals.pullMisses++;
    }),
  );

  const collector = (async () => {
    while (Date.now() < deadline) {
      if (o.collector === "upstream") {
        const binary = registryBinary(o.version) as string;
        await run(binary, ["garbage-collect", "-m", registry.configPath], { maxBuffer: 64 << 20 }).catch(
          () => undefined,
        );
        totals.gcRuns++;
        continue;
      }
      const args = [
        o.regsweepBin,
        "gc",
        "--storage",
        registry.storageRoot,
        "--config",
        registry.configPath,
        "--delete-untagged",
        "--live",
        "--settle",
        o.settle ?? "1s",
        "--grace",
        o.grace ?? "1s",
        "--yes",
        "--json",
      ];
      const result = await run(process.execPath, args, { maxBuffer: 64 << 20 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? 1,
          stdout: e.stdout ?? "",
          stderr: e.stderr ?? "",
        }),
      );
      totals.gcRuns++;
      if (result.code === 3 && /cache/.test(result.stderr)) {
        totals.gcRefused++;
        totals.refusal = result.stderr
          .split("\n")
          .find((l) => /in-memory|cache/.test(l))
          ?.trim();
        log(`gc refused: ${totals.refusal}`);
        break; // the refusal is the result: the operator must restart or switch the cache
      }
      try {
        const json = JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))) as {
          report?: { bytesFreed: number; live?: { cacheKeysEvicted: number; restored: number } };
        };
        totals.bytesFreed += json.report?.bytesFreed ?? 0;
        totals.cacheKeysEvicted += json.report?.live?.cacheKeysEvicted ?? 0;
        totals.restored += json.report?.live?.restored ?? 0;
      } catch {
        if (result.code !== 0)
          log(`gc run exited ${result.code}: ${result.stderr.trim().split("\n").slice(-2).join(" | ")}`);
      }
    }
  })();

  try {
    await Promise.all([...pushers, ...pullers, collector]);
    // Every tag any pusher reported, at the digest it reported last, pulled and digest-checked with skopeo.
    for (const p of last.values()) {
      totals.tagsChecked++;
      const pulled = await skopeoPull(registry.host, `${p.repository}:${p.tag}`);
      if (!pulled.ok || pulled.digest !== p.digest) {
        totals.brokenTags++;
        log(`broken: ${p.repository}:${p.tag} (${pulled.error?.split("\n")[0] ?? pulled.digest})`);
      }
    }
    const check = await run(
      process.execPath,
      [o.regsweepBin, "check", "--storage", registry.storageRoot, "--json"],
      {
        maxBuffer: 64 << 20,
      },
    ).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? "",
    );
    try {
      const report = JSON.parse(check) as { tags?: Array<{ ok: boolean }> };
      totals.checkBroken = (report.tags ?? []).filter((t) => !t.ok).length;
    } catch {
      totals.checkBroken = -1;
    }
  } finally {
    await registry.stop({ removeStorage: true });
    await redis?.stop();
  }
  return totals;
}

/** One line per soak, as the README quotes them. */
export function soakLine(t: SoakTotals): string {
  return [
    `${t.collector.padEnd(8)} cache=${t.cache.padEnd(8)}`,
    `pushes=${t.pushes} (refused ${t.pushesRefused})`,
    `pulls=${t.pulls} (misses ${t.pullMisses})`,
    `gc runs=${t.gcRuns}${t.gcRefused ? ` (refused ${t.gcRefused})` : ""}`,
    `bytes freed=${t.bytesFreed}`,
    `evicted=${t.cacheKeysEvicted} restored=${t.restored}`,
    `broken tags=${t.brokenTags}/${t.tagsChecked}`,
    `check broken=${t.checkBroken}`,
  ].join("  ");
}
