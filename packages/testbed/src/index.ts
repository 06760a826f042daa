export { catalog, tags } from "./catalog.js";
export { makeTestTls, type TestTlsFiles, writeHtpasswd } from "./credentials.js";
export { freePort } from "./free-port.js";
export {
  type LedgerRecord,
  PROCESS_LEDGER_ENV,
  TEST_FILE_ENV,
  type TrackedKind,
  trackContainer,
  trackProcess,
} from "./process-ledger.js";
export { type PushTarget, pushBlob, pushManifest } from "./push.js";
export { type StartedRedis, startRedisServer } from "./redis-process.js";
export {
  availableRegistryVersions,
  cachedRegistryBinary,
  defaultTestVersion,
  registryBinary,
} from "./registry-binary.js";
export { type RegistryConfigOptions, type RegistryS3Storage, registryConfigYaml } from "./registry-config.js";
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
  type TagsOverMaxTags,
  type TagsPagination,
} from "./registry-versions.js";
export { cacheDir, repoRoot } from "./repo-root.js";
export { startCephServer } from "./s3/ceph-server.js";
export {
  S3_SERVER_KINDS,
  type S3ServerInfo,
  type S3ServerKind,
  type StartedS3Server,
  s3ServerKindFromEnv,
} from "./s3/s3-server.js";
export {
  createTestBucket,
  s3ChainEnv,
  type TestBucket,
  testS3Client,
  uniqueBucketName,
} from "./s3/s3-test-client.js";
export { startS3Server } from "./s3/start-s3-server.js";
export { startSwiftServer } from "./s3/swift-server.js";
export {
  holdRequestSlot,
  startThrottledFrontend,
  type ThrottledFrontend,
  type ThrottleOptions,
} from "./s3/throttled-frontend.js";
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
  describeLeftovers,
  describeRecord,
  type Leftover,
  stillRunning,
  stopLeftovers,
} from "./stop-leftovers.js";
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
