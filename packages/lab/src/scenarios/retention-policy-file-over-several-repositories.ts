import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  catalog,
  expectNotPullable,
  expectPullable,
  pushManifest,
  type TestBlob,
  type TestManifest,
  tags,
} from "@regsweep/testbed";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { cellImage, cellImageKind, cellLayer } from "../scenario-images.js";
import { registryDataDir, snapshotStorage } from "../storage-tree.js";

/** The policy under test: one rule per repository family, each with a different kind of keep. */
const policy = (
  untaggedOlderThan: string,
) => `# written by the lab scenario retention-policy-file-over-several-repositories
rules:
  - name: apps keep the two newest versions
    repositories: "app/*"
    keep:
      last: {count: 2, order: semver}
  - name: web keeps latest and releases
    repositories: web
    keep:
      tags: [latest, "release-*"]
  - name: batch drops old untagged manifests
    repositories: batch
    keep:
      tags: ["*"]
    untagged: {olderThan: ${untaggedOlderThan}}
`;

/** What the policy must do, per repository: tags kept, tags deleted (misc is in no rule: left alone). */
const EXPECTED: Record<string, { kept: string[]; deleted: string[] }> = {
  // `latest` is no version: semver cannot order it, so the rule keeps it rather than guess.
  "app/api": { kept: ["1.2.0", "2.0.0", "latest"], deleted: ["1.0.0", "1.1.0"] },
  // 0.10.0 is newer than 0.9.0 by semver (not by name).
  "app/worker": { kept: ["0.10.0", "0.11.0"], deleted: ["0.9.0"] },
  web: { kept: ["latest", "release-1", "release-2"], deleted: ["dev-1", "feature-x"] },
  batch: { kept: ["nightly"], deleted: [] },
  misc: { kept: ["x"], deleted: [] },
};

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * On a bucket, between the old untagged pushes and the fresh one: an object's LastModified is the server's
 * to set, so the old ones are made old by waiting, and the policy's threshold falls halfway between.
 */
const S3_AGE_GAP_MS = 60_000;

interface Pushed {
  /** `repository:tag` → image. */
  tagged: Map<string, TestManifest>;
  /** Untagged manifests in `batch` the policy must delete (aged 30 days). */
  oldUntagged: TestManifest[];
  /** An untagged manifest in `batch` younger than the threshold: it stays. */
  freshUntagged: TestManifest;
  /** When the fresh one was pushed (ms since the epoch). */
  freshPushedAt: number;
}

async function pushAll(ctx: ScenarioContext): Promise<Pushed> {
  const target = { url: ctx.url };
  // One layer in a deleted web tag and a kept app tag: it must stay (blobs are judged registry-wide).
  const shared = cellLayer(ctx, "layer shared by web:dev-1 and app/api:2.0.0");
  // Untagged manifests first: pushed by digest, or for schema1 (no PUT by digest on 2.2) as batch:nightly,
  // which the tagged push below then moves away from them.
  const untaggedAs = cellImageKind(ctx) === "schema1" ? "nightly" : undefined;
  const untaggedImage = (text: string) =>
    cellImage(ctx, { layers: [cellLayer(ctx, text)] }, "batch", untaggedAs ?? "untagged");
  const oldUntagged = [untaggedImage("batch old 1"), untaggedImage("batch old 2")];
  const freshUntagged = untaggedImage("batch fresh");
  for (const m of oldUntagged) await pushManifest(target, "batch", m, untaggedAs);
  if (ctx.storage.driver === "s3") {
    ctx.log(`waiting ${S3_AGE_GAP_MS / 1000} s: the old untagged manifests age in real time on a bucket`);
    await new Promise((r) => setTimeout(r, S3_AGE_GAP_MS));
  }
  await pushManifest(target, "batch", freshUntagged, untaggedAs);
  const freshPushedAt = Date.now();
  const tagged = new Map<string, TestManifest>();
  for (const [repository, expected] of Object.entries(EXPECTED)) {
    for (const tag of [...expected.kept, ...expected.deleted]) {
      const layers: TestBlob[] = [cellLayer(ctx, `${repository}:${tag}`)];
      if (`${repository}:${tag}` === "web:dev-1" || `${repository}:${tag}` === "app/api:2.0.0")
        layers.push(shared);
      const img = cellImage(ctx, { layers }, repository, tag);
      await pushManifest(target, repository, img, tag);
      tagged.set(`${repository}:${tag}`, img);
    }
  }
  // Untagged age is the revision link's mtime: on a folder, make the old ones a month old.
  const month = new Date(Date.now() - 30 * DAY_MS);
  for (const m of ctx.storage.driver === "s3" ? [] : oldUntagged) {
    const hex = m.digest.replace(/^sha256:/, "");
    const link = join(
      registryDataDir(ctx.storage.root),
      "repositories/batch/_manifests/revisions/sha256",
      hex,
      "link",
    );
    await utimes(link, month, month);
  }
  ctx.log(`pushed ${tagged.size} tags; batch untagged: old ${oldUntagged.map((m) => m.digest).join(", ")}`);
  return { tagged, oldUntagged, freshUntagged, freshPushedAt };
}

/**
 * A retention policy file over several repositories, each rule of another kind (semver last-N over a glob
 * of repositories, tag patterns, untagged-older-than): the dry run changes nothing, the real run deletes
 * exactly what the rules say, kept tags pull with every blob, and `regsweep check` finds the tree sound.
 */
export const retentionPolicyFileOverSeveralRepositories: Scenario = {
  name: "retention-policy-file-over-several-repositories",
  description:
    "retain --policy: last 2 by semver in app/*, latest+release-* in web, untagged older than 7d in batch (on a bucket: than the age halfway between pushes a minute apart); misc untouched; check passes",
  async run(ctx) {
    const pushed = await pushAll(ctx);
    const dir = await mkdtemp(join(tmpdir(), "regsweep-lab-policy-"));
    try {
      const policyFile = join(dir, "retention.yml");
      // Untagged age is the revision link's mtime (on a folder, a month for the old ones) or the object's
      // LastModified (on a bucket, S3_AGE_GAP_MS apart): the threshold is halfway between, so the runs
      // below may take half the gap before the fresh one crosses it.
      const threshold =
        ctx.storage.driver === "s3"
          ? `${Math.round((Date.now() - pushed.freshPushedAt + S3_AGE_GAP_MS / 2) / 1000)}s`
          : "7d";
      ctx.log(`policy: untagged older than ${threshold}`);
      await writeFile(policyFile, policy(threshold));

      const before = await snapshotStorage(ctx.storage.store);
      expectExit(await ctx.regsweep(["retain", "--policy", policyFile, "--dry-run"]), 0, "retain --dry-run");
      check((await snapshotStorage(ctx.storage.store)) === before, "the dry run changed the storage tree");

      expectExit(await ctx.regsweep(["retain", "--policy", policyFile]), 0, "retain --policy");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    for (const [repository, expected] of Object.entries(EXPECTED)) {
      for (const tag of expected.kept) {
        const img = pushed.tagged.get(`${repository}:${tag}`) as TestManifest;
        await expectPullable(ctx.host, `${repository}:${tag}`, img.digest);
      }
      for (const tag of expected.deleted) {
        const img = pushed.tagged.get(`${repository}:${tag}`) as TestManifest;
        await expectNotPullable(ctx.host, `${repository}:${tag}`);
        await expectNotPullable(ctx.host, `${repository}@${img.digest}`);
      }
      const left = (await tags(ctx.url, repository)).sort();
      const wanted = [...expected.kept].sort();
      check(
        left.join(",") === wanted.join(","),
        `tags of ${repository}: ${left.join(",")}, expected ${wanted}`,
      );
    }
    for (const m of pushed.oldUntagged) await expectNotPullable(ctx.host, `batch@${m.digest}`);
    await expectPullable(ctx.host, `batch@${pushed.freshUntagged.digest}`, pushed.freshUntagged.digest);

    const repositories = (await catalog(ctx.url)).sort();
    const wantedRepositories = Object.keys(EXPECTED).sort();
    check(
      repositories.join(",") === wantedRepositories.join(","),
      `catalog after retain: ${repositories.join(",")}, expected ${wantedRepositories.join(",")}`,
    );
    expectExit(await ctx.regsweep(["check"]), 0, "check after retain");
  },
};
