import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";

/** A content-addressed blob as a registry stores it. */
export interface TestBlob {
  digest: string;
  size: number;
  mediaType: string;
  bytes: Buffer;
}

/** A manifest (image, index or artifact) with every blob it needs and the manifests it contains. */
export interface TestManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Config and layers (for an index: nothing; its children carry their own). */
  blobs: TestBlob[];
  /** Child manifests of an index, pushed by digest before the index. */
  children: TestManifest[];
}

/** The media types the tests write. */
export const MediaTypes = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A blob of the given bytes. */
export function blobOf(bytes: Buffer, mediaType: string): TestBlob {
  return { digest: sha256(bytes), size: bytes.length, mediaType, bytes };
}

/** A gzip layer whose content is the given text (same text, same digest: that is how layers are shared). */
export function layer(content: string, format: "docker" | "oci" = "docker"): TestBlob {
  return blobOf(
    gzipSync(Buffer.from(content), { level: 9 }),
    format === "oci" ? MediaTypes.ociLayer : MediaTypes.dockerLayer,
  );
}

function descriptor(b: { mediaType: string; digest: string; bytes: Buffer }) {
  return { mediaType: b.mediaType, digest: b.digest, size: b.bytes.length };
}

/** What an image is made of; layers are shared between images by passing the same blob. */
export interface ImageSpec {
  layers: TestBlob[];
  format?: "docker" | "oci";
  /** The config's `created` time (ISO); defaults to now. */
  created?: string;
  platform?: { os: string; architecture: string };
  /** Makes the config unique even when layers are equal (default: random, so each image differs). */
  salt?: string;
  /** OCI `subject`: makes this manifest a referrer of that one. */
  subject?: TestManifest;
  artifactType?: string;
}

/** An image manifest (Docker schema2 or OCI) with its config and layers. */
export function image(spec: ImageSpec): TestManifest {
  const format = spec.format ?? "docker";
  const platform = spec.platform ?? { os: "linux", architecture: "amd64" };
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        created: spec.created ?? new Date().toISOString(),
        config: { Labels: { "regsweep.test.salt": spec.salt ?? randomBytes(8).toString("hex") } },
        rootfs: { type: "layers", diff_ids: spec.layers.map((l) => l.digest) },
      }),
    ),
    format === "oci" ? MediaTypes.ociConfig : MediaTypes.dockerConfig,
  );
  const mediaType = format === "oci" ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  const body: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(spec.artifactType ? { artifactType: spec.artifactType } : {}),
    config: descriptor(config),
    layers: spec.layers.map(descriptor),
    ...(spec.subject ? { subject: descriptor(spec.subject) } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(body, null, 2));
  return { digest: sha256(bytes), mediaType, bytes, blobs: [config, ...spec.layers], children: [] };
}

/** A signature-like OCI artifact whose `subject` is the given manifest (a referrer). */
export function referrer(
  subject: TestManifest,
  artifactType = "application/vnd.dev.cosign.artifact.sig.v1+json",
): TestManifest {
  const empty = blobOf(Buffer.from("{}"), MediaTypes.ociEmpty);
  const payload = blobOf(
    Buffer.from(`signature of ${subject.digest} ${randomBytes(4).toString("hex")}`),
    "application/vnd.dev.cosign.simplesigning.v1+json",
  );
  const body = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType,
    config: descriptor(empty),
    layers: [descriptor(payload)],
    subject: descriptor(subject),
  };
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    digest: sha256(bytes),
    mediaType: MediaTypes.ociManifest,
    bytes,
    blobs: [empty, payload],
    children: [],
  };
}

/** A multi-platform index (OCI index or Docker manifest list) over the given images. */
export function index(children: TestManifest[], format: "docker" | "oci" = "oci"): TestManifest {
  const mediaType = format === "oci" ? MediaTypes.ociIndex : MediaTypes.dockerList;
  const body = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => {
      const config = JSON.parse(c.blobs[0]?.bytes.toString() ?? "{}") as {
        os?: string;
        architecture?: string;
      };
      return {
        ...descriptor(c),
        platform: { os: config.os ?? "linux", architecture: config.architecture ?? "amd64" },
      };
    }),
  };
  const bytes = Buffer.from(JSON.stringify(body, null, 2));
  return { digest: sha256(bytes), mediaType, bytes, blobs: [], children };
}
