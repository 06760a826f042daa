import { catalog, expectNotPullable } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_actually_deletes`. */
export const deletingActuallyDeletes: Scenario = {
  name: "deleting-actually-deletes",
  description: "push c:1, delete it: it no longer pulls, the catalog is empty, no data left",
  async run(ctx) {
    await ctx.pushFixture("c");
    expectExit(await ctx.regsweep(["delete", "--prune", "test/c:1"]), 0, "delete test/c:1");
    await expectNotPullable(ctx.host, "test/c:1");
    const repositories = await catalog(ctx.url);
    check(repositories.length === 0, `catalog after delete: ${repositories.join(",")}`);
    await expectNoRegistryData(ctx.storage.store);
  },
};
