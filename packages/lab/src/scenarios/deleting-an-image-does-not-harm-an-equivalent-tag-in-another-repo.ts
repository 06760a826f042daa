import { catalog, expectNotPullable, expectPullable } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_an_image_does_not_harm_an_equivalent_tag_in_another_repo`. */
export const deletingAnImageDoesNotHarmAnEquivalentTagInAnotherRepo: Scenario = {
  name: "deleting-an-image-does-not-harm-an-equivalent-tag-in-another-repo",
  description: "a and the same image as stillanotherthingwithtag:1; deleting test/a keeps the other pullable",
  async run(ctx) {
    await ctx.pushFixture("a");
    const copy = await ctx.pushFixture("a", "test/stillanotherthingwithtag:1");
    await expectPullable(ctx.host, "test/stillanotherthingwithtag:1", copy.digest);
    expectExit(await ctx.regsweep(["delete", "--prune", "-v", "test/a"]), 0, "delete test/a");
    await expectNotPullable(ctx.host, "test/a:latest");
    await expectPullable(ctx.host, "test/stillanotherthingwithtag:1", copy.digest);
    const repositories = await catalog(ctx.url);
    check(!repositories.includes("test/a"), `catalog still lists test/a: ${repositories.join(",")}`);
    expectExit(
      await ctx.regsweep(["delete", "--prune", "test/stillanotherthingwithtag:1"]),
      0,
      "delete the copy",
    );
    await expectNoRegistryData(ctx.storage.store);
  },
};
