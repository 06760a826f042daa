import { expectNotPullable, expectPullable, image, index, layer, pushManifest } from "@regsweep/testbed";
import { expectExit, type Scenario } from "../scenario.js";

/**
 * Multi-arch cleanup with `gc -m`: an untagged manifest goes, the untagged children of a tagged OCI index
 * stay pullable (distribution 2.7/2.8's own `garbage-collect -m` deletes them; v3's is index-aware).
 */
export const gcUntaggedKeepsChildrenOfTaggedIndex: Scenario = {
  name: "gc-untagged-keeps-children-of-tagged-index",
  description: "tagged OCI index (amd64+arm64) and an untagged image; gc -m removes only the untagged image",
  requires: ["oci-manifest", "oci-index"],
  async run(ctx) {
    const target = { url: ctx.url };
    const shared = layer("regsweep lab shared layer", "oci");
    const amd64 = image({ layers: [shared, layer("amd64", "oci")], format: "oci" });
    const arm64 = image({
      layers: [shared, layer("arm64", "oci")],
      format: "oci",
      platform: { os: "linux", architecture: "arm64" },
    });
    const multi = index([amd64, arm64], "oci");
    const indexDigest = await pushManifest(target, "test/multiarch", multi, "1");
    const orphan = image({ layers: [layer("orphan", "oci")], format: "oci" });
    const orphanDigest = await pushManifest(target, "test/multiarch", orphan);
    ctx.log(`index ${indexDigest}, children ${amd64.digest} ${arm64.digest}, orphan ${orphanDigest}`);

    expectExit(await ctx.regsweep(["gc", "-m"]), 0, "gc -m");
    await expectPullable(ctx.host, "test/multiarch:1", indexDigest);
    await expectPullable(ctx.host, `test/multiarch@${amd64.digest}`, amd64.digest);
    await expectPullable(ctx.host, `test/multiarch@${arm64.digest}`, arm64.digest);
    await expectNotPullable(ctx.host, `test/multiarch@${orphanDigest}`);
  },
};
