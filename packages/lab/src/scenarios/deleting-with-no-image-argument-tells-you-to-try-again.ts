import { mkdir } from "node:fs/promises";
import { check, expectExit, type Scenario } from "../scenario.js";
import { expectNoRegistryData, registryDataDir } from "../storage-tree.js";

/** Seed `test_deleting_with_no_image_argument_tells_you_to_try_again`: usage and precondition errors. */
export const deletingWithNoImageArgumentTellsYouToTryAgain: Scenario = {
  name: "deleting-with-no-image-argument-tells-you-to-try-again",
  description: 'unknown repository → exit 3 "no repository \'test\'"; no image → exit 2 "image is required"',
  async run(ctx) {
    // The seed's setup empties `v2` but keeps it; a registry that never stored anything has no `v2` yet.
    await mkdir(registryDataDir(ctx.storageRoot), { recursive: true });
    const unknown = await ctx.regsweep(["delete", "test"]);
    expectExit(unknown, 3, "delete an unknown repository");
    check(
      /no repository 'test'/i.test(unknown.stderr + unknown.stdout),
      `unknown repository message: ${unknown.stderr}`,
    );
    await ctx.pushFixture("a");
    const none = await ctx.regsweep(["delete"]);
    expectExit(none, 2, "delete without an image");
    check(/image is required/i.test(none.stderr + none.stdout), `no image message: ${none.stderr}`);
    expectExit(await ctx.regsweep(["delete", "--prune", "-v", "test/a"]), 0, "delete test/a");
    await expectNoRegistryData(ctx.storageRoot);
  },
};
