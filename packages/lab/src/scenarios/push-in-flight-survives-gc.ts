import { expectPullable, pushBlob, pushManifest, type TestBlob, type TestManifest } from "@regsweep/testbed";
import { check, expectExit, type Scenario } from "../scenario.js";
import { cellImage, cellLayer } from "../scenario-images.js";
import { blobExists } from "../storage-tree.js";

/** Uploads an image's blobs (config, layers) the way a client does before it puts the manifest. */
async function pushBlobsOnly(url: string, repository: string, img: TestManifest): Promise<TestBlob[]> {
  for (const blob of img.blobs) await pushBlob({ url }, repository, blob);
  return img.blobs;
}

/**
 * A push in flight survives gc: blobs uploaded without a manifest yet are young, so `gc` with the default
 * kind of grace (1h) keeps them and the client can finish its push; with `--grace 0` (nothing in flight,
 * the operator says) they are unreferenced and go. In the cell's best image kind (OCI, schema2 or schema1).
 */
export const pushInFlightSurvivesGc: Scenario = {
  name: "push-in-flight-survives-gc",
  description:
    "blobs pushed without a manifest survive gc --grace 1h and the push then completes; gc --grace 0 removes such blobs",
  async run(ctx) {
    const repository = "test/in-flight";
    const inFlight = cellImage(ctx, { layers: [cellLayer(ctx, "in flight layer")] }, repository, "1");
    const blobs = await pushBlobsOnly(ctx.url, repository, inFlight);
    ctx.log(`in flight: ${blobs.map((b) => b.digest).join(" ")} for manifest ${inFlight.digest}`);

    expectExit(await ctx.regsweep(["gc"], { grace: "1h" }), 0, "gc --grace 1h");
    for (const b of blobs) {
      check(
        await blobExists(ctx.storage.store, b.digest),
        `gc --grace 1h deleted the young blob ${b.digest}`,
      );
    }
    // The client finishes: its blobs are there (HEAD 200), so only the manifest goes up.
    await pushManifest({ url: ctx.url }, repository, inFlight, "1");
    await expectPullable(ctx.host, `${repository}:1`, inFlight.digest);

    const abandoned = cellImage(ctx, { layers: [cellLayer(ctx, "abandoned layer")] }, repository, "2");
    const abandonedBlobs = await pushBlobsOnly(ctx.url, repository, abandoned);
    expectExit(await ctx.regsweep(["gc"], { grace: "0" }), 0, "gc --grace 0");
    for (const b of abandonedBlobs) {
      check(
        !(await blobExists(ctx.storage.store, b.digest)),
        `gc --grace 0 kept the unreferenced blob ${b.digest}`,
      );
    }
    for (const b of blobs) {
      check(
        await blobExists(ctx.storage.store, b.digest),
        `gc --grace 0 deleted ${b.digest} of the tagged image`,
      );
    }
    await expectPullable(ctx.host, `${repository}:1`, inFlight.digest);
  },
};
