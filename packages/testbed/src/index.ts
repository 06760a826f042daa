export { catalog, tags } from "./catalog.js";
export { makeTestTls, type TestTlsFiles, writeHtpasswd } from "./credentials.js";
export { freePort } from "./free-port.js";
export { type PushTarget, pushBlob, pushManifest } from "./push.js";
export {
  availableRegistryVersions,
  cachedRegistryBinary,
  defaultTestVersion,
  registryBinary,
} from "./registry-binary.js";
export { type RegistryConfigOptions, registryConfigYaml } from "./registry-config.js";
export {
  type RegistryProcessOptions,
  type StartedRegistry,
  startRegistryProcess,
} from "./registry-process.js";
export {
  type CliForm,
  findRegistryVersion,
  type GcFlavour,
  type ManifestKind,
  type RegistryVersion,
  registryVersions,
} from "./registry-versions.js";
export { cacheDir, repoRoot } from "./repo-root.js";
export {
  libtrustKeyId,
  SCHEMA1_SIGNED_MEDIA_TYPE,
  type Schema1Manifest,
  type Schema1Spec,
  signedSchema1,
  type VerifiedSchema1,
  verifySchema1,
} from "./schema1.js";
export { expectNotPullable, expectPullable, type PullResult, skopeoCopy, skopeoPull } from "./skopeo.js";
export {
  blobOf,
  type ImageSpec,
  image,
  index,
  layer,
  MediaTypes,
  referrer,
  type TestBlob,
  type TestManifest,
} from "./test-images.js";
