import {
  expectNotPullable,
  expectPullable,
  layer,
  pushBlob,
  SCHEMA1_SIGNED_MEDIA_TYPE,
  type Schema1Manifest,
  signedSchema1,
  type TestBlob,
} from "@regsweep/testbed";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";

async function pushSchema1(
  ctx: ScenarioContext,
  repository: string,
  tag: string,
  layers: TestBlob[],
): Promise<Schema1Manifest> {
  for (const b of layers) await pushBlob({ url: ctx.url }, repository, b);
  // 2.2 checks that the signed name and tag are those of the URL.
  const m = signedSchema1({ name: repository, tag, layers });
  const res = await fetch(`${ctx.url}/v2/${repository}/manifests/${tag}`, {
    method: "PUT",
    headers: { "Content-Type": m.mediaType },
    body: m.bytes,
  });
  check(res.status === 201, `schema1 PUT ${repository}:${tag}: HTTP ${res.status} ${await res.text()}`);
  ctx.log(`${repository}:${tag} = ${m.digest} (signed by ${m.keyId})`);
  return m;
}

/** The digest the registry names for `repository:tag` (GET: 2.2 has no HEAD on manifests). */
async function servedDigest(ctx: ScenarioContext, repository: string, tag: string): Promise<string | null> {
  const res = await fetch(`${ctx.url}/v2/${repository}/manifests/${tag}`, {
    headers: { Accept: SCHEMA1_SIGNED_MEDIA_TYPE },
  });
  await res.arrayBuffer();
  return res.ok ? res.headers.get("docker-content-digest") : null;
}

/**
 * Signed schema1 images, as 2.2-era engines pushed them: re-pushing a tag leaves the old manifest untagged,
 * `delete --untagged` removes it, deleting the repository removes the rest but not a layer another
 * repository shares. Runs where the registry takes schema1 (2.2–2.8; 2.7+ with the compatibility switch).
 */
export const schema1ImagesDeleteUntaggedAndRepository: Scenario = {
  name: "schema1-images-delete-untagged-and-repository",
  description:
    "signed schema1 test/schema1:1 pushed twice and test/schema1-other sharing a layer; delete --untagged, then the repository",
  // About schema1 itself: runs wherever the registry takes it, whatever the fixture mode.
  skipReason: (version) =>
    version.accepts.includes("schema1")
      ? undefined
      : `registry ${version.version} has no schema1 at all (3.x removed it)`,
  schema1Compatibility: true,
  async run(ctx) {
    const shared = layer("schema1 shared base");
    const old = await pushSchema1(ctx, "test/schema1", "1", [shared, layer("schema1 old top")]);
    const current = await pushSchema1(ctx, "test/schema1", "1", [shared, layer("schema1 current top")]);
    const other = await pushSchema1(ctx, "test/schema1-other", "1", [shared, layer("schema1 other top")]);

    expectExit(await ctx.regsweep(["delete", "--untagged", "test/schema1"]), 0, "delete --untagged");
    check(
      (await servedDigest(ctx, "test/schema1", "1")) === current.digest,
      "test/schema1:1 no longer serves the current manifest",
    );
    await expectPullable(ctx.host, "test/schema1:1");
    await expectNotPullable(ctx.host, `test/schema1@${old.digest}`);

    expectExit(await ctx.regsweep(["delete", "--prune", "test/schema1"]), 0, "delete test/schema1");
    await expectNotPullable(ctx.host, "test/schema1:1");
    check(
      (await servedDigest(ctx, "test/schema1-other", "1")) === other.digest,
      "test/schema1-other:1 no longer serves its manifest",
    );
    await expectPullable(ctx.host, "test/schema1-other:1");
    expectExit(await ctx.regsweep(["check"]), 0, "check");
  },
};
