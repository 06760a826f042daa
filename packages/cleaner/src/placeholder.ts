/**
 * The placeholder manifest: how one tag is deleted alone on registries whose API deletes tags only by digest
 * (distribution 2.3–2.8, where a digest DELETE removes every tag on that digest). The tag is first pointed at
 * a tiny manifest of our own, then that manifest is deleted by digest; only the tag naming it goes. GitLab's
 * registry integration and regclient's tag delete do the same.
 *
 * Each placeholder has its own config blob (a nonce in it), so its digest is never shared by another tag. Both
 * blobs have fixed sizes, so an offline reader recognises them by size first and content second without
 * reading every small blob: a run killed between the PUT and the DELETE leaves a tag on a placeholder, and
 * the next run (online or offline) finishes that delete; `gc` removes the blobs whatever their age.
 */
import { randomBytes } from "node:crypto";
import type { Digest } from "./model/digest.js";
import type { ManifestInfo } from "./model/manifest.js";
import { sha256Digest } from "./model/manifest.js";
import { MediaType } from "./model/media-types.js";

/** The config media type that marks a placeholder manifest (read from the manifest, no blob fetch needed). */
export const PLACEHOLDER_CONFIG_MEDIA_TYPE = "application/vnd.regsweep.placeholder.config.v1+json";

/** Every placeholder config blob is exactly this long (JSON padded with spaces). */
export const PLACEHOLDER_CONFIG_BYTES = 512;

const CONFIG_PREFIX = '{"regsweep":"placeholder",';

/** A placeholder ready to push: its config blob and its schema2 manifest, with their digests. */
export interface Placeholder {
  config: Buffer;
  configDigest: Digest;
  manifest: Buffer;
  digest: Digest;
  mediaType: string;
}

function manifestBytes(configDigest: Digest): Buffer {
  // Key order fixed, no layers: distribution 2.3+ accepts a schema2 manifest with an empty layer list.
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.schema2,
      config: {
        mediaType: PLACEHOLDER_CONFIG_MEDIA_TYPE,
        size: PLACEHOLDER_CONFIG_BYTES,
        digest: configDigest,
      },
      layers: [],
    }),
  );
}

/** Every placeholder manifest is exactly this long (its only variable part is a sha256 digest). */
export const PLACEHOLDER_MANIFEST_BYTES = manifestBytes(`sha256:${"0".repeat(64)}`).length;

/** A fresh placeholder standing in for `tag` (the tag is written into the config for whoever reads it). */
export function makePlaceholder(
  tag: string,
  nowMs = Date.now(),
  nonce = randomBytes(16).toString("hex"),
): Placeholder {
  const text = JSON.stringify({
    regsweep: "placeholder",
    note: "stands in for a tag regsweep is deleting; safe to delete",
    tag,
    nonce,
    created: new Date(nowMs).toISOString(),
  });
  if (!text.startsWith(CONFIG_PREFIX) || text.length > PLACEHOLDER_CONFIG_BYTES)
    throw new Error(`placeholder config for '${tag}' does not fit in ${PLACEHOLDER_CONFIG_BYTES} bytes`);
  const config = Buffer.from(text.padEnd(PLACEHOLDER_CONFIG_BYTES, " "));
  const configDigest = sha256Digest(config);
  const manifest = manifestBytes(configDigest);
  return { config, configDigest, manifest, digest: sha256Digest(manifest), mediaType: MediaType.schema2 };
}

/** Whether a parsed manifest is a placeholder (by its config media type). */
export function isPlaceholderManifest(m: ManifestInfo | undefined): boolean {
  return m?.configMediaType === PLACEHOLDER_CONFIG_MEDIA_TYPE;
}

/** Whether a blob of this size may be a placeholder blob (worth reading to check its content). */
export function mayBePlaceholderBlob(size: number): boolean {
  return size === PLACEHOLDER_CONFIG_BYTES || size === PLACEHOLDER_MANIFEST_BYTES;
}

/** Whether blob content is a placeholder config or manifest (a manifest's config is then a placeholder's). */
export function isPlaceholderBlob(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === PLACEHOLDER_CONFIG_BYTES)
    return buf.subarray(0, CONFIG_PREFIX.length).toString() === CONFIG_PREFIX;
  if (buf.length !== PLACEHOLDER_MANIFEST_BYTES) return false;
  try {
    const doc = JSON.parse(buf.toString("utf8")) as { config?: { mediaType?: unknown; digest?: unknown } };
    return (
      doc.config?.mediaType === PLACEHOLDER_CONFIG_MEDIA_TYPE &&
      typeof doc.config.digest === "string" &&
      manifestBytes(doc.config.digest as Digest).equals(buf)
    );
  } catch {
    return false;
  }
}
