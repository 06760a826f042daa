import { expectNotPullable, expectPullable, tags } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { countBlobs, expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_untagged`: re-push `latest` three times, drop the untagged history, then the tag. */
export const deletingUntagged: Scenario = {
  name: "deleting-untagged",
  description:
    "push b, a, c:1 as test/repousinglatest:latest; delete --untagged frees blobs and latest still pulls; deleting the tag empties the tree",
  async run(ctx) {
    await ctx.pushFixture("b", "test/repousinglatest");
    await ctx.pushFixture("a", "test/repousinglatest");
    const latest = await ctx.pushFixture("c", "test/repousinglatest");
    const before = await countBlobs(ctx.storage.store);
    expectExit(
      await ctx.regsweep(["delete", "--untagged", "--prune", "test/repousinglatest"]),
      0,
      "delete --untagged",
    );
    const after = await countBlobs(ctx.storage.store);
    check(after < before, `delete --untagged left the blob count at ${after} (was ${before})`);
    await expectPullable(ctx.host, "test/repousinglatest:latest", latest.digest);
    const listed = await tags(ctx.url, "test/repousinglatest");
    check(listed.join(",") === "latest", `tags after --untagged: ${listed.join(",")}`);
    expectExit(await ctx.regsweep(["delete", "--prune", "test/repousinglatest:latest"]), 0, "delete the tag");
    await expectNotPullable(ctx.host, "test/repousinglatest:latest");
    await expectNoRegistryData(ctx.storage.store);
  },
};
