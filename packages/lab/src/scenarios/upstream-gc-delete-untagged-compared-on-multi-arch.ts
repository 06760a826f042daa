import { expectNotPullable, expectPullable } from "@regsweep/testbed";
import { expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { upstreamDeleteUntaggedOutcome } from "../upstream-gc-expectations.js";
import { describeTree, type MultiArchTree, pushMultiArchTree } from "./multi-arch-tree.js";

async function expectTreeKept(ctx: ScenarioContext, tree: MultiArchTree, who: string): Promise<void> {
  ctx.log(`${who}: expecting ${tree.repository}:${tree.tag} and its children to pull`);
  await expectPullable(ctx.host, `${tree.repository}:${tree.tag}`, tree.index.digest);
  for (const child of tree.children) {
    await expectPullable(ctx.host, `${tree.repository}@${child.digest}`, child.digest);
  }
}

/**
 * The registry's own `garbage-collect --delete-untagged` against regsweep's `gc -m` on identical copies of
 * one multi-arch tree. regsweep always keeps the children of the tagged manifest list; upstream does what
 * the version table's GC flavour says (2.7/2.8 delete them and break the tag: the multi-arch bug).
 */
export const upstreamGcDeleteUntaggedComparedOnMultiArch: Scenario = {
  name: "upstream-gc-delete-untagged-compared-on-multi-arch",
  description:
    "tagged manifest list + untagged image; regsweep gc -m keeps the list's children, upstream garbage-collect -m does what its GC flavour says",
  requires: ["schema2", "manifest-list"],
  skipReason: (version) =>
    upstreamDeleteUntaggedOutcome[version.gc] === "no-delete-untagged"
      ? `registry ${version.version} has no garbage-collect --delete-untagged (gc flavour ${version.gc})`
      : undefined,
  async run(ctx) {
    const expected = upstreamDeleteUntaggedOutcome[ctx.version.gc];
    const tree = await pushMultiArchTree({ url: ctx.url }, "test/multiarch-gc", "docker");
    ctx.log(describeTree(tree));
    ctx.log(`upstream gc flavour ${ctx.version.gc}: expected ${expected}`);

    // Both collectors get the same tree: a byte copy taken before either runs.
    const snapshot = await ctx.offline(() => ctx.storage.saveTree());
    try {
      expectExit(await ctx.regsweep(["gc", "-m"]), 0, "regsweep gc -m");
      await expectTreeKept(ctx, tree, "regsweep gc -m");
      await expectNotPullable(ctx.host, `${tree.repository}@${tree.orphan.digest}`);

      await ctx.offline(() => snapshot.restore());
      await expectPullable(ctx.host, `${tree.repository}@${tree.orphan.digest}`, tree.orphan.digest);

      expectExit(await ctx.upstreamGarbageCollect(["--delete-untagged"]), 0, "registry garbage-collect -m");
      await expectNotPullable(ctx.host, `${tree.repository}@${tree.orphan.digest}`);
      if (expected === "keeps-index-children") {
        await expectTreeKept(ctx, tree, "upstream garbage-collect -m");
      } else {
        ctx.log("upstream garbage-collect -m: expecting the tag to break (children gone)");
        await expectNotPullable(ctx.host, `${tree.repository}:${tree.tag}`);
        for (const child of tree.children) {
          await expectNotPullable(ctx.host, `${tree.repository}@${child.digest}`);
        }
      }
    } finally {
      await snapshot.dispose();
    }
  },
};
