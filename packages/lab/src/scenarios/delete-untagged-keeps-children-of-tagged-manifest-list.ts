import { expectNotPullable, expectPullable } from "@regsweep/testbed";
import { expectExit, type Scenario } from "../scenario.js";
import { describeTree, pushMultiArchTree } from "./multi-arch-tree.js";

/**
 * Multi-arch with a Docker manifest list (not an OCI index): `delete --untagged` removes an untagged image
 * but keeps the untagged amd64/arm64 children of the tagged list, which clients resolve by digest.
 */
export const deleteUntaggedKeepsChildrenOfTaggedManifestList: Scenario = {
  name: "delete-untagged-keeps-children-of-tagged-manifest-list",
  description:
    "tagged Docker manifest list (amd64+arm64) and an untagged image; delete --untagged removes only the untagged image",
  requires: ["schema2", "manifest-list"],
  async run(ctx) {
    const tree = await pushMultiArchTree({ url: ctx.url }, "test/multiarch-list", "docker");
    ctx.log(describeTree(tree));
    expectExit(await ctx.regsweep(["delete", "--untagged", tree.repository]), 0, "delete --untagged");
    await expectPullable(ctx.host, `${tree.repository}:${tree.tag}`, tree.index.digest);
    for (const child of tree.children) {
      await expectPullable(ctx.host, `${tree.repository}@${child.digest}`, child.digest);
    }
    await expectNotPullable(ctx.host, `${tree.repository}@${tree.orphan.digest}`);
  },
};
