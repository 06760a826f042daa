import { expectNotPullable, expectPullable } from "@regsweep/testbed";
import { bestIndexKind } from "../fixture-mode.js";
import { expectExit, type Scenario } from "../scenario.js";
import { describeTree, pushMultiArchTree } from "./multi-arch-tree.js";

/**
 * Multi-arch cleanup with `gc -m`: an untagged manifest goes, the untagged children of a tagged index
 * stay pullable (distribution 2.7/2.8's own `garbage-collect -m` deletes them; v3's is index-aware). An OCI
 * index where the cell takes one, else a Docker manifest list (2.3–2.6, schema2 fixtures).
 */
export const gcUntaggedKeepsChildrenOfTaggedIndex: Scenario = {
  name: "gc-untagged-keeps-children-of-tagged-index",
  description:
    "tagged OCI index or manifest list (amd64+arm64) and an untagged image; gc -m removes only the untagged image",
  skipReason: (version, kinds) =>
    bestIndexKind(kinds) === undefined
      ? `registry ${version.version} with these fixtures has no multi-arch manifest (schema1 has neither manifest lists nor OCI indexes)`
      : undefined,
  async run(ctx) {
    const format = bestIndexKind(ctx.kinds) === "oci-index" ? "oci" : "docker";
    const tree = await pushMultiArchTree({ url: ctx.url }, "test/multiarch", format);
    ctx.log(describeTree(tree));

    expectExit(await ctx.regsweep(["gc", "-m"]), 0, "gc -m");
    await expectPullable(ctx.host, `${tree.repository}:${tree.tag}`, tree.index.digest);
    for (const child of tree.children) {
      await expectPullable(ctx.host, `${tree.repository}@${child.digest}`, child.digest);
    }
    await expectNotPullable(ctx.host, `${tree.repository}@${tree.orphan.digest}`);
  },
};
