import { expectPullable } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData, snapshotStorage } from "../storage-tree.js";

/** Seed `test_deleting_with_dry_run_does_not_delete`: the tree stays byte-identical. */
export const deletingWithDryRunDoesNotDelete: Scenario = {
  name: "deleting-with-dry-run-does-not-delete",
  description: "push c:1, delete --dry-run: tree byte-identical and c:1 pulls; a real delete then empties it",
  async run(ctx) {
    const c = await ctx.pushFixture("c");
    await ctx.restart();
    const before = await snapshotStorage(ctx.storage.store);
    expectExit(await ctx.regsweep(["delete", "--prune", "--dry-run", "test/c:1"]), 0, "delete --dry-run");
    const after = await snapshotStorage(ctx.storage.store);
    check(before === after, `dry run changed the tree:\n${diffLines(before, after)}`);
    await expectPullable(ctx.host, "test/c:1", c.digest);
    expectExit(await ctx.regsweep(["delete", "--prune", "test/c:1"]), 0, "delete test/c:1");
    await expectNoRegistryData(ctx.storage.store);
  },
};

function diffLines(before: string, after: string): string {
  const a = new Set(before.split("\n"));
  const b = new Set(after.split("\n"));
  return [
    ...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`),
    ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`),
  ].join("\n");
}
