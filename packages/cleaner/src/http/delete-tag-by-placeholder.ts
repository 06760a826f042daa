import type { Digest } from "../model/digest.js";
import { MediaType } from "../model/media-types.js";
import { makePlaceholder } from "../placeholder.js";
import { RegistryProtocolError } from "./http-errors.js";
import { MANIFEST_ACCEPT } from "./read-registry-inventory.js";
import type { RegistryClient } from "./registry-client.js";

/** What a placeholder delete of one tag came to. */
export type PlaceholderOutcome =
  | { result: "deleted"; placeholder: Digest; manifest: Buffer }
  /** The tag named another digest than planned when re-read right before the PUT: left untouched. */
  | { result: "moved"; now: Digest | undefined }
  /** Someone pushed the tag between our PUT and our check or DELETE: it names their manifest now, left there. */
  | { result: "raced"; placeholder: Digest; now: Digest | undefined };

/** Hooks around the two steps (tests stop a real process between them). */
export interface PlaceholderHooks {
  /** After the tag names the placeholder and before it is deleted by digest. */
  afterPut?: (repository: string, tag: string, placeholder: Digest) => Promise<void> | void;
}

/** The digest a reference resolves to now (HEAD with the whole Accept set), or undefined when it is gone. */
export async function resolveDigest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<Digest | undefined> {
  const res = await client.request("HEAD", `/v2/${repository}/manifests/${reference}`, {
    accept: MANIFEST_ACCEPT,
    scope: `repository:${repository}:pull`,
    expect: [404],
  });
  if (res.status === 404) return undefined;
  return res.headers["docker-content-digest"] as Digest | undefined;
}

/** Uploads a small blob in one go (POST a session, PUT it with the digest). */
async function uploadBlob(client: RegistryClient, repository: string, digest: Digest, bytes: Buffer) {
  const scope = `repository:${repository}:pull,push`;
  const start = await client.request("POST", `/v2/${repository}/blobs/uploads/`, { scope });
  const location = start.headers.location;
  if (typeof location !== "string")
    throw new RegistryProtocolError(`${repository}: a blob upload started without a Location`);
  const url = new URL(location, `${client.base.toString().replace(/\/$/, "")}/`);
  url.searchParams.set("digest", digest);
  await client.requestUrl("PUT", url, { scope, body: bytes, contentType: "application/octet-stream" });
}

/**
 * Deletes one tag alone on a registry whose API deletes only by digest (2.3–2.8): uploads a placeholder's
 * own config blob, re-reads the tag (a tag that moved since planning is left alone, never overwritten),
 * PUTs the placeholder on the tag, checks the tag names it, DELETEs it by digest, and checks the tag is gone.
 * The manifest the tag named and every other tag on it are untouched: the DELETE removes only the tags whose
 * current link is the placeholder, which only this tag ever had.
 *
 * Races, argued: a push to the tag between the re-read and the PUT is overwritten by the placeholder (the
 * API has no conditional PUT; the window is one request wide, the blob upload is done before it); the
 * pushed manifest stays in the repository, untagged. A push after the PUT makes the tag name someone else's
 * manifest: the check sees it and nothing of theirs is deleted. A kill between the PUT and the DELETE leaves
 * the tag on the placeholder, which every later plan recognises and finishes (see `planDeletion`).
 */
export async function deleteTagByPlaceholder(
  client: RegistryClient,
  repository: string,
  tag: string,
  expected: Digest | undefined,
  hooks: PlaceholderHooks = {},
): Promise<PlaceholderOutcome> {
  const p = makePlaceholder(tag);
  await uploadBlob(client, repository, p.configDigest, p.config);
  const before = await resolveDigest(client, repository, tag);
  // A tag that resolves to nothing names nothing of value: gone since, or listed but dangling (a 2.x delete
  // left half done, or 2.2). Putting the placeholder on it and deleting that clears it either way.
  if (before && expected && before !== expected) return { result: "moved", now: before };
  const put = await client.request("PUT", `/v2/${repository}/manifests/${tag}`, {
    scope: `repository:${repository}:pull,push`,
    body: p.manifest,
    contentType: p.mediaType,
  });
  const stored = put.headers["docker-content-digest"];
  if (typeof stored === "string" && stored !== p.digest)
    throw new RegistryProtocolError(
      `${repository}:${tag}: the registry stored the placeholder as ${stored}, expected ${p.digest}`,
    );
  const named = await resolveDigest(client, repository, tag);
  if (named === p.digest) await hooks.afterPut?.(repository, tag, p.digest);
  // Deleted by digest even when someone else's push won the tag: the placeholder must not stay behind, and
  // this DELETE untags only what names the placeholder.
  await client.request("DELETE", `/v2/${repository}/manifests/${p.digest}`, {
    scope: `repository:${repository}:delete`,
    expect: [404],
  });
  if (named !== p.digest) return { result: "raced", placeholder: p.digest, now: named };
  const after = await resolveDigest(client, repository, tag);
  if (after) return { result: "raced", placeholder: p.digest, now: after };
  return { result: "deleted", placeholder: p.digest, manifest: p.manifest };
}

/**
 * Finishes a placeholder delete the registry left half done: a 2.x digest DELETE removes the revision, then
 * looks up the tags on it, and fails there when another tag's link is being rewritten at that moment (the
 * filesystem driver truncates, then writes), leaving the tag listed and dangling. Pushing the same
 * placeholder again brings the revision back on the tag; deleting it again untags it.
 */
export async function retryPlaceholderDelete(
  client: RegistryClient,
  repository: string,
  tag: string,
  placeholder: Digest,
  manifest: Buffer,
): Promise<void> {
  await client.request("PUT", `/v2/${repository}/manifests/${tag}`, {
    scope: `repository:${repository}:pull,push`,
    body: manifest,
    contentType: MediaType.schema2,
  });
  await client.request("DELETE", `/v2/${repository}/manifests/${placeholder}`, {
    scope: `repository:${repository}:delete`,
    expect: [404],
  });
}
