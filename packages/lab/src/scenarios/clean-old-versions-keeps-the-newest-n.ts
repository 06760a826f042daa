import {
  expectNotPullable,
  expectPullable,
  pushManifest,
  type TestBlob,
  type TestManifest,
  tags,
} from "@regsweep/testbed";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { cellImage, cellLayer } from "../scenario-images.js";
import { blobExists } from "../storage-tree.js";

const TAGS = ["1", "2", "3", "4", "latest"] as const;

/**
 * Pushes one DISTINCT image per tag (a shared "busybox" base layer plus a layer of its own): regsweep keeps
 * a tag whose digest a kept tag shares, so the seed's five tags of one busybox image would all stay.
 */
async function pushTags(
  ctx: ScenarioContext,
  repository: string,
  created: Partial<Record<(typeof TAGS)[number], string>> = {},
): Promise<Map<string, PushedTag>> {
  const base = cellLayer(ctx, "busybox base layer");
  const pushed = new Map<string, PushedTag>();
  for (const tag of TAGS) {
    const createdAt = created[tag];
    const own = cellLayer(ctx, `${repository}:${tag} own layer`);
    const img = cellImage(
      ctx,
      { layers: [base, own], ...(createdAt !== undefined ? { created: createdAt } : {}) },
      repository,
      tag,
    );
    await pushManifest({ url: ctx.url }, repository, img, tag);
    ctx.log(`pushed ${repository}:${tag} = ${img.digest}${createdAt ? ` (created ${createdAt})` : ""}`);
    pushed.set(tag, { image: img, base, own });
  }
  return pushed;
}

/** A pushed tag's image with its two layers (schema1 has no config blob, so they are named, not indexed). */
interface PushedTag {
  image: TestManifest;
  base: TestBlob;
  own: TestBlob;
}

/** Runs the seed's clean_old_versions command line and checks which tags stay. */
async function retainAndCheck(
  ctx: ScenarioContext,
  repository: string,
  order: "name" | "date",
  pushed: Map<string, PushedTag>,
  gone: string,
): Promise<void> {
  const args = ["retain", "--image", repository, "--include", ".*", "-l", "4"];
  // `-o name` is the seed's default: the CLI's too, so that run leaves the flag out.
  if (order !== "name") args.push("-o", order);
  expectExit(await ctx.regsweep(args), 0, `retain -l 4 -o ${order}`);
  const removed = pushed.get(gone) as PushedTag;
  await expectNotPullable(ctx.host, `${repository}:${gone}`);
  await expectNotPullable(ctx.host, `${repository}@${removed.image.digest}`);
  for (const [tag, p] of pushed) {
    if (tag !== gone) await expectPullable(ctx.host, `${repository}:${tag}`, p.image.digest);
  }
  const left = (await tags(ctx.url, repository)).sort();
  const wanted = TAGS.filter((t) => t !== gone).sort();
  check(left.join(",") === wanted.join(","), `tags of ${repository} after retain: ${left.join(",")}`);
  // The removed image's own layer is freed; the base layer the kept tags use stays.
  const { base, own } = removed;
  check(!(await blobExists(ctx.storage.store, own.digest)), `${gone}'s layer stayed`);
  check(await blobExists(ctx.storage.store, base.digest), "the shared layer went");
}

/**
 * Seed `test_clean_old_versions`: `retain --image busybox/busy --include '.*' -l 4` deletes `:1` (name
 * order, the seed's default) and keeps `:2..4` and `latest`; the same with `-o date` deletes the tag whose
 * image was created first (`:2` here), whatever its name.
 */
export const cleanOldVersionsKeepsTheNewestN: Scenario = {
  name: "clean-old-versions-keeps-the-newest-n",
  description:
    "busybox/busy:1..4,latest (distinct images); retain -l 4 by name drops :1, by image creation time drops the oldest-created",
  async run(ctx) {
    const byName = await pushTags(ctx, "busybox/busy");
    await retainAndCheck(ctx, "busybox/busy", "name", byName, "1");

    // Creation order differs from name order: `2` is the oldest image, `1` a newer one.
    const byDate = await pushTags(ctx, "busybox/dated", {
      "1": "2024-05-01T00:00:00Z",
      "2": "2024-01-01T00:00:00Z",
      "3": "2024-03-01T00:00:00Z",
      "4": "2024-04-01T00:00:00Z",
      latest: "2024-06-01T00:00:00Z",
    });
    await retainAndCheck(ctx, "busybox/dated", "date", byDate, "2");
    // The first repository is untouched by the second run (its --image regex does not match it).
    await expectPullable(ctx.host, "busybox/busy:2", byName.get("2")?.image.digest);
  },
};
