import {
  expectNotPullable,
  expectPullable,
  pushManifest,
  type RegistryVersion,
  type TestManifest,
  tags,
} from "@regsweep/testbed";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { cellImage, cellImageKind, cellLayer, imageEverywhere } from "../scenario-images.js";
import { blobExists, countBlobs } from "../storage-tree.js";

/** What `regsweep delete --registry` does to one of two tags sharing a digest, per the version's data. */
interface SiblingTagExpectation {
  /** Exit code of `delete repo:1` (5: partial, the action was skipped). */
  exit: number;
  /** Tags that still pull afterwards. */
  pulls: string[];
  /** Tags that no longer pull. */
  gone: string[];
}

/**
 * Keyed on the version table: 3.x deletes just the tag (`deleteByTag`); 2.3–2.8 delete tags only by digest
 * but untag on it and accept schema2, so regsweep deletes the tag alone through a placeholder manifest, and
 * `--cascade-tags` deletes the digest with every tag on it, as asked (see `plan-tag-methods.ts`); 2.2 can do
 * neither, so the action is skipped (exit 5, both tags stay).
 */
export function siblingTagExpectation(version: RegistryVersion, cascade: boolean): SiblingTagExpectation {
  if (version.deleteByTag) return { exit: 0, pulls: ["2"], gone: ["1"] };
  const alone = version.untagsOnDigestDelete && version.accepts.includes("schema2");
  if (!alone) return { exit: 5, pulls: ["1", "2"], gone: [] };
  return cascade ? { exit: 0, pulls: [], gone: ["1", "2"] } : { exit: 0, pulls: ["2"], gone: ["1"] };
}

async function push(ctx: ScenarioContext, repository: string, m: TestManifest, tag?: string): Promise<void> {
  await pushManifest({ url: ctx.url }, repository, m, tag);
  ctx.log(`pushed ${repository}${tag ? `:${tag}` : ""} = ${m.digest}`);
}

/**
 * What the API can and cannot do with signed schema1 (2.2, or schema1 fixtures): a schema1 manifest served by a
 * 2.x registry may be its rewrite of another manifest, so regsweep never deletes one by digest online (exit 5,
 * the plan says why). Where the version data says a tag can go alone (2.3–2.8: a placeholder), the tag goes
 * and its manifest stays for an offline run; on 2.2 nothing can go and both tags stay. Offline finishes it.
 */
async function onlineOnSchema1(ctx: ScenarioContext): Promise<void> {
  const base = cellLayer(ctx, "online base layer");
  const c1 = cellImage(ctx, { layers: [base, cellLayer(ctx, "online c1")] }, "test/c", "1");
  const c2 = cellImage(ctx, { layers: [base, cellLayer(ctx, "online c2")] }, "test/c", "2");
  await push(ctx, "test/c", c1, "1");
  await push(ctx, "test/c", c2, "2");
  const alone = ctx.version.untagsOnDigestDelete && ctx.version.accepts.includes("schema2");
  const online = await ctx.regsweepOnline(["delete", "test/c:1"]);
  expectExit(online, 5, "online delete of a schema1 tag (its manifest is never deleted by digest)");
  check(/never deleted by digest/.test(online.stdout), "the plan does not say what the API cannot do");
  await expectPullable(ctx.host, `test/c@${c1.digest}`, c1.digest);
  const listed = (await tags(ctx.url, "test/c")).sort();
  const wanted = alone ? "2" : "1,2";
  check(
    listed.join(",") === wanted,
    `tags of test/c after the online delete: ${listed.join(",")}, expected ${wanted}`,
  );
  const offline = alone ? ["delete", "--untagged", "test/c"] : ["delete", "test/c:1"];
  expectExit(await ctx.regsweep(offline), 0, `offline ${offline.join(" ")}`);
  await expectNotPullable(ctx.host, "test/c:1");
  await expectNotPullable(ctx.host, `test/c@${c1.digest}`);
  await expectPullable(ctx.host, "test/c:2", c2.digest);
}

/**
 * The seed cases online, with the registry RUNNING and delete enabled, through `regsweep delete --registry`:
 * a tag alone at its digest goes (seed deleting-by-tag), a repository goes and an equivalent tag in another
 * repository stays (seed deleting-an-image-does-not-harm-an-equivalent-tag-in-another-repo), untagged
 * manifests are invisible to the API (online `--untagged` deletes nothing; offline does), an offline `gc`
 * frees what the online deletes left (seed deleting-untagged), and a tag sharing its
 * digest with a sibling behaves as the version's data says (2.3+ delete it alone; 2.2 cannot).
 */
export const onlineDeleteOnARunningRegistry: Scenario = {
  name: "online-delete-on-a-running-registry",
  description:
    "delete --registry on a running registry: tag, repository (equivalent tag elsewhere stays), --untagged then offline gc, sibling tags per version",
  async run(ctx) {
    if (cellImageKind(ctx) === "schema1") return onlineOnSchema1(ctx);
    const blobsAtStart = await countBlobs(ctx.storage.store);
    // Seed deleting-by-tag: c:1 and c:2 share a base layer; deleting c:1 keeps c:2 whole.
    const base = cellLayer(ctx, "online base layer");
    const c1 = cellImage(ctx, { layers: [base, cellLayer(ctx, "online c1")] }, "test/c", "1");
    const c2 = cellImage(ctx, { layers: [base, cellLayer(ctx, "online c2")] }, "test/c", "2");
    await push(ctx, "test/c", c1, "1");
    await push(ctx, "test/c", c2, "2");
    expectExit(await ctx.regsweepOnline(["delete", "test/c:1"]), 0, "online delete test/c:1");
    await expectNotPullable(ctx.host, "test/c:1");
    await expectNotPullable(ctx.host, `test/c@${c1.digest}`);
    await expectPullable(ctx.host, "test/c:2", c2.digest);

    // Seed deleting-an-image-does-not-harm-an-equivalent-tag-in-another-repo.
    const aAt = imageEverywhere(ctx, { layers: [base, cellLayer(ctx, "online a")] });
    const a = aAt("test/a", "latest");
    const aCopy = aAt("test/stillanotherthingwithtag", "1");
    await push(ctx, "test/a", a, "latest");
    await push(ctx, "test/stillanotherthingwithtag", aCopy, "1");
    expectExit(await ctx.regsweepOnline(["delete", "test/a"]), 0, "online delete test/a");
    await expectNotPullable(ctx.host, "test/a:latest");
    await expectPullable(ctx.host, "test/stillanotherthingwithtag:1", aCopy.digest);

    // Seed deleting-untagged: latest re-pushed twice leaves two untagged images. The HTTP API lists no
    // untagged manifests, so online `--untagged` finds nothing to delete (readRegistryInventory's doc);
    // the offline run does it.
    const history = [1, 2, 3].map((i) =>
      cellImage(
        ctx,
        { layers: [base, cellLayer(ctx, `online repousinglatest ${i}`)] },
        "test/repousinglatest",
        "latest",
      ),
    );
    for (const m of history) await push(ctx, "test/repousinglatest", m, "latest");
    const untagged = history.slice(0, 2);
    expectExit(
      await ctx.regsweepOnline(["delete", "--untagged", "test/repousinglatest"]),
      0,
      "online delete --untagged",
    );
    for (const m of untagged) await expectPullable(ctx.host, `test/repousinglatest@${m.digest}`, m.digest);
    expectExit(await ctx.regsweep(["delete", "--untagged", "test/repousinglatest"]), 0, "offline --untagged");
    for (const m of untagged) await expectNotPullable(ctx.host, `test/repousinglatest@${m.digest}`);

    // Online deletes leave blob data to garbage collection: c1's own blobs (config, if any, and layer) are
    // still on disk until an offline gc frees them; a's layer stays (the equivalent tag in another repository uses it).
    const own = c1.blobs.filter((b) => !c2.blobs.some((k) => k.digest === b.digest));
    for (const b of own) check(await blobExists(ctx.storage.store, b.digest), `${b.digest} went before gc`);
    const blobsBefore = await countBlobs(ctx.storage.store);
    check(blobsBefore > blobsAtStart, "no blobs were pushed");
    expectExit(await ctx.regsweep(["gc"]), 0, "offline gc after the online deletes");
    for (const b of own) check(!(await blobExists(ctx.storage.store, b.digest)), `gc left ${b.digest}`);
    for (const b of a.blobs) check(await blobExists(ctx.storage.store, b.digest), `gc took ${b.digest}`);
    await expectPullable(ctx.host, "test/repousinglatest:latest", history[2]?.digest);
    await expectPullable(ctx.host, "test/c:2", c2.digest);
    await expectPullable(ctx.host, "test/stillanotherthingwithtag:1", aCopy.digest);

    // Two tags at one digest: the version's data says what deleting one of them does, plain and forced.
    // A signed schema1 manifest names its tag, so two tags never share one (2.2 refuses it under another).
    if (cellImageKind(ctx) === "schema1") {
      ctx.log("schema1: no two tags share a manifest, so the sibling-tag part does not apply");
      return;
    }
    for (const cascade of [false, true]) {
      const repository = cascade ? "test/siblings-cascade" : "test/siblings";
      const m = cellImage(ctx, { layers: [base, cellLayer(ctx, `online ${repository}`)] }, repository, "1");
      await push(ctx, repository, m, "1");
      await push(ctx, repository, m, "2");
      const expected = siblingTagExpectation(ctx.version, cascade);
      const args = ["delete", `${repository}:1`, ...(cascade ? ["--cascade-tags"] : [])];
      const result = await ctx.regsweepOnline(args);
      expectExit(result, expected.exit, `online ${args.join(" ")}`);
      for (const tag of expected.pulls) await expectPullable(ctx.host, `${repository}:${tag}`, m.digest);
      for (const tag of expected.gone) await expectNotPullable(ctx.host, `${repository}:${tag}`);
      const left = (await tags(ctx.url, repository).catch(() => [] as string[])).sort();
      check(
        left.join(",") === expected.pulls.join(","),
        `tags of ${repository} after ${args.join(" ")}: ${left.join(",")}, expected ${expected.pulls.join(",")}`,
      );
      if (cascade && expected.gone.includes("2"))
        check(result.stdout.includes(`${repository}:2`), "the forced delete did not report the sibling tag");
    }
  },
};
