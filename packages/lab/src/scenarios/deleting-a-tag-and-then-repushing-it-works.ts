import { expectPullable, tags } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";

/** Seed `test_deleting_a_tag_and_then_repushing_it_works`: a deleted tag can be pushed again and pulled. */
export const deletingATagAndThenRepushingItWorks: Scenario = {
  name: "deleting-a-tag-and-then-repushing-it-works",
  description: "push a as test/somethingwithtag:1, delete it, restart, push it again: it pulls",
  async run(ctx) {
    await ctx.pushFixture("a", "test/somethingwithtag:1");
    expectExit(await ctx.regsweep(["delete", "test/somethingwithtag:1"]), 0, "delete the tag");
    check((await tags(ctx.url, "test/somethingwithtag")).length === 0, "tag still listed after delete");
    await ctx.restart();
    const again = await ctx.pushFixture("a", "test/somethingwithtag:1");
    await expectPullable(ctx.host, "test/somethingwithtag:1", again.digest);
  },
};
