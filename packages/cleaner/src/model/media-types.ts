/**
 * Manifest media types regsweep understands. Sources: distribution's `manifest/*` packages and the OCI
 * image spec (https://github.com/opencontainers/image-spec/blob/main/media-types.md).
 */
export const MediaType = {
  schema1: "application/vnd.docker.distribution.manifest.v1+json",
  schema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  schema2: "application/vnd.docker.distribution.manifest.v2+json",
  manifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;

/** Every manifest media type, in the order a client should send them as separate Accept headers. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociIndex,
  MediaType.manifestList,
  MediaType.ociManifest,
  MediaType.schema2,
  MediaType.schema1Signed,
  MediaType.schema1,
];
