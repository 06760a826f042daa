import { expectPullable } from "@regsweep/testbed";
import { expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_tag_first_does_not_leave_stuff_lying_around`. */
export const deletingTagFirstDoesNotLeaveStuffLyingAround: Scenario = {
  name: "deleting-tag-first-does-not-leave-stuff-lying-around",
  description:
    "a and its copy somethingwithtag:1; delete the copy first, a still pulls, then delete a: no data left",
  async run(ctx) {
    const a = await ctx.pushFixture("a");
    await ctx.pushFixture("a", "test/somethingwithtag:1");
    expectExit(
      await ctx.regsweep(["delete", "--prune", "-v", "test/somethingwithtag:1"]),
      0,
      "delete the copy",
    );
    await expectPullable(ctx.host, "test/a:latest", a.digest);
    expectExit(await ctx.regsweep(["delete", "--prune", "test/a"]), 0, "delete test/a");
    await expectNoRegistryData(ctx.storage.store);
  },
};
