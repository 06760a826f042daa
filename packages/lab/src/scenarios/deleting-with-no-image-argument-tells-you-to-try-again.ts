import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData } from "../storage-tree.js";

/** Seed `test_deleting_with_no_image_argument_tells_you_to_try_again`: usage and precondition errors. */
export const deletingWithNoImageArgumentTellsYouToTryAgain: Scenario = {
  name: "deleting-with-no-image-argument-tells-you-to-try-again",
  description: 'unknown repository → exit 3 "no repository \'test\'"; no image → exit 2 "image is required"',
  async run(ctx) {
    // The seed's setup empties `v2` but keeps it; a registry that never stored anything has no `v2` yet. A
    // bucket has no empty folders (its tree exists once a key is under it): there, push first.
    const emptyTree = await ctx.storage.makeEmptyDataRoot();
    if (!emptyTree) await ctx.pushFixture("a");
    const unknown = await ctx.regsweep(["delete", "test"]);
    expectExit(unknown, 3, "delete an unknown repository");
    check(
      /no repository 'test'/i.test(unknown.stderr + unknown.stdout),
      `unknown repository message: ${unknown.stderr}`,
    );
    if (emptyTree) await ctx.pushFixture("a");
    const none = await ctx.regsweep(["delete"]);
    expectExit(none, 2, "delete without an image");
    check(/image is required/i.test(none.stderr + none.stdout), `no image message: ${none.stderr}`);
    expectExit(await ctx.regsweep(["delete", "--prune", "-v", "test/a"]), 0, "delete test/a");
    await expectNoRegistryData(ctx.storage.store);
  },
};
