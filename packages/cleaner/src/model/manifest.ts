import { createHash } from "node:crypto";
import { type Digest, isDigest } from "./digest.js";
import { MediaType } from "./media-types.js";

/** What kind of manifest a stored blob is; `unknown` ones are kept and reported, never deleted blindly. */
export type ManifestKind = "schema1" | "schema2" | "manifest-list" | "oci-manifest" | "oci-index" | "unknown";

/** The parts of a manifest that decide what it keeps alive. */
export interface ManifestInfo {
  kind: ManifestKind;
  mediaType: string;
  /** Config and layers (schema1: every fsLayers blobSum); for an unknown kind, every digest in it. */
  blobs: Digest[];
  /** Manifests an index/list names; for an unknown kind, every digest in it (it might name manifests). */
  children: Digest[];
  /** The manifest this one refers to (OCI `subject`): a referrer follows its subject. */
  subject?: Digest;
  artifactType?: string;
  /** The config blob, for reading creation time and platform. */
  config?: Digest;
  /** The config descriptor's media type (a regsweep placeholder is recognised by it). */
  configMediaType?: string;
}

/** Why a stored manifest could not be understood. */
export interface ManifestProblem {
  problem: "not-json" | "not-a-manifest" | "digest-mismatch";
  detail: string;
}

interface Descriptor {
  digest?: unknown;
  mediaType?: unknown;
}

function descriptorDigests(list: unknown): Digest[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: Descriptor) =>
    typeof d?.digest === "string" && isDigest(d.digest) ? [d.digest] : [],
  );
}

function everyDigest(value: unknown, into: Set<Digest>): Set<Digest> {
  if (typeof value === "string") {
    if (isDigest(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) everyDigest(v, into);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) everyDigest(v, into);
  }
  return into;
}

function unique(digests: Digest[]): Digest[] {
  return [...new Set(digests)];
}

/** sha256 digest of bytes, as distribution computes it. */
export function sha256Digest(bytes: Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Parses a stored manifest blob. Dispatch follows distribution's `manifeststore.go`: `schemaVersion` 1 is
 * schema1; 2 goes by `mediaType` (OCI allows it absent: `manifests` means an index, `config` an image).
 */
export function parseManifest(bytes: Uint8Array, expectedDigest?: Digest): ManifestInfo | ManifestProblem {
  if (expectedDigest?.startsWith("sha256:") && sha256Digest(bytes) !== expectedDigest) {
    return { problem: "digest-mismatch", detail: `content hashes to ${sha256Digest(bytes)}` };
  }
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      return { problem: "not-a-manifest", detail: "JSON is not an object" };
    }
    doc = parsed as Record<string, unknown>;
  } catch (error) {
    return { problem: "not-json", detail: (error as Error).message };
  }
  const mediaType = typeof doc.mediaType === "string" ? doc.mediaType : "";
  const subject = (doc.subject as Descriptor | undefined)?.digest;
  const referrer = {
    ...(typeof subject === "string" && isDigest(subject) ? { subject } : {}),
    ...(typeof doc.artifactType === "string" ? { artifactType: doc.artifactType } : {}),
  };

  if (doc.schemaVersion === 1) {
    const fsLayers = Array.isArray(doc.fsLayers) ? doc.fsLayers : [];
    const blobs = fsLayers.flatMap((l: { blobSum?: unknown }) =>
      typeof l?.blobSum === "string" && isDigest(l.blobSum) ? [l.blobSum] : [],
    );
    const signed = Array.isArray(doc.signatures);
    return {
      kind: "schema1",
      mediaType: signed ? MediaType.schema1Signed : MediaType.schema1,
      blobs: unique(blobs),
      children: [],
    };
  }
  if (doc.schemaVersion !== 2)
    return { problem: "not-a-manifest", detail: `schemaVersion ${String(doc.schemaVersion)}` };

  const isIndex =
    mediaType === MediaType.manifestList ||
    mediaType === MediaType.ociIndex ||
    (!mediaType && Array.isArray(doc.manifests));
  if (isIndex) {
    return {
      kind: mediaType === MediaType.manifestList ? "manifest-list" : "oci-index",
      mediaType: mediaType || MediaType.ociIndex,
      blobs: [],
      children: unique(descriptorDigests(doc.manifests)),
      ...referrer,
    };
  }
  const isImage =
    mediaType === MediaType.schema2 || mediaType === MediaType.ociManifest || (!mediaType && doc.config);
  if (isImage) {
    const config = (doc.config as Descriptor | undefined)?.digest;
    const configMediaType = (doc.config as Descriptor | undefined)?.mediaType;
    const configDigest = typeof config === "string" && isDigest(config) ? config : undefined;
    if (!configDigest) return { problem: "not-a-manifest", detail: "image manifest without a config digest" };
    return {
      kind: mediaType === MediaType.schema2 ? "schema2" : "oci-manifest",
      mediaType: mediaType || MediaType.ociManifest,
      blobs: unique([configDigest, ...descriptorDigests(doc.layers)]),
      children: [],
      config: configDigest,
      ...(typeof configMediaType === "string" ? { configMediaType } : {}),
      ...referrer,
    };
  }
  // Unknown: keep everything it could possibly need, whatever role each digest plays.
  const all = [...everyDigest({ ...doc, subject: undefined }, new Set())];
  return { kind: "unknown", mediaType, blobs: all, children: all, ...referrer };
}

/** Whether a parse result is a problem rather than a manifest. */
export function isManifestProblem(m: ManifestInfo | ManifestProblem): m is ManifestProblem {
  return "problem" in m;
}
