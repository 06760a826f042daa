import {
  expectNotPullable,
  expectPullable,
  pushManifest,
  referrer,
  type TestManifest,
  tags,
} from "@regsweep/testbed";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { cellImage, cellImageKind, cellLayer } from "../scenario-images.js";

interface SignedImage {
  image: TestManifest;
  /** An OCI referrer (`subject` = the image), pushed by digest; none where `subject` is refused (before 2.7). */
  referrer?: TestManifest;
  /** A cosign-style signature, tagged `sha256-<hex>.sig` after the image's digest. */
  signature: TestManifest;
  signatureTag: string;
}

async function pushSignedImage(ctx: ScenarioContext, repository: string, name: string): Promise<SignedImage> {
  const target = { url: ctx.url };
  const img = cellImage(ctx, { layers: [cellLayer(ctx, `referrers ${name}`)] }, repository, "1");
  await pushManifest(target, repository, img, "1");
  // OCI `subject` only where OCI manifests are taken; the tag convention works with every kind.
  const ref = cellImageKind(ctx) === "oci-manifest" ? referrer(img) : undefined;
  if (ref) await pushManifest(target, repository, ref);
  const signatureTag = `${img.digest.replace(":", "-")}.sig`;
  const signature = cellImage(
    ctx,
    { layers: [cellLayer(ctx, `cosign signature of ${img.digest}`)] },
    repository,
    signatureTag,
  );
  await pushManifest(target, repository, signature, signatureTag);
  ctx.log(
    `${name}: image ${img.digest}, referrer ${ref?.digest ?? "(none: no OCI subject)"}, ${signatureTag} = ${signature.digest}`,
  );
  return { image: img, ...(ref ? { referrer: ref } : {}), signature, signatureTag };
}

async function expectGone(ctx: ScenarioContext, repository: string, s: SignedImage): Promise<void> {
  for (const m of [s.image, s.referrer, s.signature]) {
    if (m) await expectNotPullable(ctx.host, `${repository}@${m.digest}`);
  }
}

async function expectKept(ctx: ScenarioContext, repository: string, s: SignedImage): Promise<void> {
  await expectPullable(ctx.host, `${repository}:1`, s.image.digest);
  if (s.referrer) await expectPullable(ctx.host, `${repository}@${s.referrer.digest}`, s.referrer.digest);
  await expectPullable(ctx.host, `${repository}:${s.signatureTag}`, s.signature.digest);
}

/**
 * Referrers follow their subject: an image's OCI referrer (`subject`) and its cosign `sha256-<hex>.sig`
 * tag go when the image goes (untagged cleanup after the tag moved, then deleting the tag), and stay while
 * the image is kept. Where OCI `subject` is refused (2.3–2.6, schema2 or schema1 fixtures) only the tag
 * convention is pushed, in the cell's image kind.
 */
export const referrersFollowTheirSubject: Scenario = {
  name: "referrers-follow-their-subject",
  description:
    "image + referrer + sha256-<hex>.sig tag, twice under one tag; delete --untagged drops the old image's referrers, deleting the tag drops the rest",
  async run(ctx) {
    const repository = "test/signed";
    const old = await pushSignedImage(ctx, repository, "old");
    // Re-pushing `1` leaves the old image untagged; its .sig tag is still there, naming it.
    const current = await pushSignedImage(ctx, repository, "current");

    expectExit(await ctx.regsweep(["delete", "--untagged", repository]), 0, "delete --untagged");
    await expectGone(ctx, repository, old);
    await expectKept(ctx, repository, current);
    const after = (await tags(ctx.url, repository)).sort();
    const wanted = ["1", current.signatureTag].sort();
    check(after.join(",") === wanted.join(","), `tags after --untagged: ${after.join(",")}`);

    expectExit(await ctx.regsweep(["delete", `${repository}:1`]), 0, "delete the image's tag");
    await expectGone(ctx, repository, current);
    const left = await tags(ctx.url, repository);
    check(left.length === 0, `tags left after deleting the image's tag: ${left.join(",")}`);
  },
};
