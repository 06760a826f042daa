import { expectNotPullable, expectPullable, pushManifest } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { cellLayer, imageEverywhere } from "../scenario-images.js";

/**
 * Cross-repository blob mount: repository B gets its blobs by `POST /v2/B/blobs/uploads/?mount=&from=A`
 * (no upload, one shared blob file), then its own manifest. Deleting A must not take B's blobs. In the
 * cell's image kind (schema1: B's manifest is signed for B, over the same mounted layers).
 */
export const crossRepositoryMountSurvivesDeletingTheSource: Scenario = {
  name: "cross-repository-mount-survives-deleting-the-source",
  description:
    "push to test/mount-a, mount its blobs into test/mount-b, push the manifest there; delete A; B still pulls",
  async run(ctx) {
    const at = imageEverywhere(ctx, {
      layers: [cellLayer(ctx, "mounted layer one"), cellLayer(ctx, "mounted layer two")],
    });
    const img = at("test/mount-a", "1");
    const mounted = at("test/mount-b", "1");
    await pushManifest({ url: ctx.url }, "test/mount-a", img, "1");
    for (const blob of img.blobs) {
      const res = await fetch(
        `${ctx.url}/v2/test/mount-b/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=test/mount-a`,
        { method: "POST" },
      );
      await res.arrayBuffer();
      // 201 = mounted; 202 would mean the registry started an upload instead (no mount happened).
      check(res.status === 201, `mount of ${blob.digest} from test/mount-a answered ${res.status}, not 201`);
    }
    // Every blob is there now, so this puts only the manifest.
    await pushManifest({ url: ctx.url }, "test/mount-b", mounted, "1");
    ctx.log(`image ${img.digest} in test/mount-a and (mounted) ${mounted.digest} in test/mount-b`);

    expectExit(await ctx.regsweep(["delete", "test/mount-a"]), 0, "delete test/mount-a");
    await expectNotPullable(ctx.host, "test/mount-a:1");
    await expectPullable(ctx.host, "test/mount-b:1", mounted.digest);
  },
};
