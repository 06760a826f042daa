import { expectNotPullable, expectPullable, tags } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_by_tag`: c:1 is the base of c:2; deleting c:1 keeps c:2 whole. */
export const deletingByTag: Scenario = {
  name: "deleting-by-tag",
  description: "push c:1 and d as c:2; delete c:1, c:2 still pulls; delete c:2, no data left",
  async run(ctx) {
    await ctx.pushFixture("c");
    const d = await ctx.pushFixture("d");
    expectExit(await ctx.regsweep(["delete", "--prune", "test/c:1"]), 0, "delete test/c:1");
    await expectNotPullable(ctx.host, "test/c:1");
    await expectPullable(ctx.host, "test/c:2", d.digest);
    const listed = await tags(ctx.url, "test/c");
    check(listed.join(",") === "2", `tags of test/c after deleting 1: ${listed.join(",")}`);
    expectExit(await ctx.regsweep(["delete", "--prune", "test/c:2"]), 0, "delete test/c:2");
    await expectNoRegistryData(ctx.storage.store);
  },
};
