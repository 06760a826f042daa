import { expectNotPullable, expectPullable } from "@regsweep/testbed";
import { expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_all_images_deletes_all_data`: shared data survives until its last user goes. */
export const deletingAllImagesDeletesAllData: Scenario = {
  name: "deleting-all-images-deletes-all-data",
  description:
    "a, b and copies of them in other repositories; delete one by one, the rest keeps pulling, the tree ends empty",
  async run(ctx) {
    const a = await ctx.pushFixture("a");
    const b = await ctx.pushFixture("b");
    await ctx.pushFixture("a", "test/somethingwithtag:1");
    expectExit(
      await ctx.regsweep(["delete", "--prune", "test/somethingwithtag:1"]),
      0,
      "delete somethingwithtag:1",
    );
    await expectPullable(ctx.host, "test/a:latest", a.digest);

    expectExit(await ctx.regsweep(["delete", "--prune", "test/a"]), 0, "delete test/a");
    await expectNotPullable(ctx.host, "test/a:latest");
    await expectPullable(ctx.host, "test/b:latest", b.digest);
    // The copy's digest: the same as b's for schema2, its own for schema1 (signed for its repository and tag).
    const copy = await ctx.pushFixture("b", "test/somethingelsewithtag:1");
    await expectPullable(ctx.host, "test/somethingelsewithtag:1", copy.digest);

    expectExit(await ctx.regsweep(["delete", "--prune", "test/b"]), 0, "delete test/b");
    await expectPullable(ctx.host, "test/somethingelsewithtag:1", copy.digest);
    expectExit(
      await ctx.regsweep(["delete", "--prune", "test/somethingelsewithtag:1"]),
      0,
      "delete somethingelsewithtag:1",
    );
    await expectNoRegistryData(ctx.storage.store);
  },
};
