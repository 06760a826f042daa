export type {
  BackendApplyOptions,
  BackendCapabilities,
  RegistryBackend,
} from "./backend/registry-backend.js";
export {
  applyOnlinePlan,
  type OnlineApplyOptions,
  type OnlineApplyReport,
  type TagOutcome,
} from "./http/apply-online-plan.js";
export { type Challenge, type Credentials, dockerConfigCredentials, parseChallenge } from "./http/auth.js";
export {
  deleteTagByPlaceholder,
  type PlaceholderHooks,
  type PlaceholderOutcome,
  resolveDigest,
} from "./http/delete-tag-by-placeholder.js";
export { HttpBackend, type HttpBackendOptions } from "./http/http-backend.js";
export {
  RegistryAuthError,
  RegistryDeleteDisabledError,
  RegistryHttpError,
  RegistryProtocolError,
  RegistryTlsError,
  RegistryUnreachableError,
} from "./http/http-errors.js";
export { listAll, nextLink } from "./http/paginate.js";
export {
  chooseTagMethod,
  planTagMethods,
  type TagMethodChoice,
  type TagMethodOptions,
  tagMethodContext,
} from "./http/plan-tag-methods.js";
export {
  capabilitiesFrom,
  describeCapabilities,
  probeRegistry,
  type RegistryCapabilities,
  type TagOnlyDelete,
} from "./http/probe-registry.js";
export { readRegistryCreatedTimes } from "./http/read-registry-created-times.js";
export {
  type FetchedManifest,
  fetchManifest,
  type ReadRegistryOptions,
  type RegistryReadProgress,
  readRegistryInventory,
} from "./http/read-registry-inventory.js";
export {
  RegistryClient,
  type RegistryClientOptions,
  redactUrl,
  registryBaseUrl,
} from "./http/registry-client.js";
export {
  type BlobDescriptorCache,
  type RedisEndpoint,
  readBlobDescriptorCache,
} from "./live/blob-descriptor-cache.js";
export {
  type DescriptorCacheEvictor,
  type EvictionEntry,
  noCacheEvictor,
  RedisDescriptorEvictor,
} from "./live/descriptor-cache-evictor.js";
export type { LiveOptions, LiveReport } from "./live/live-deletion.js";
export { MTIME_SLACK_MS } from "./live/live-mark.js";
export type { ApplyReport, SkipCode, SkippedAction } from "./model/apply-report.js";
export { type Digest, isDigest, parseDigest } from "./model/digest.js";
export {
  DescriptorCacheError,
  InvalidReferenceError,
  InvalidRequestError,
  LockHeldError,
  ManifestNotFoundError,
  NotAStorageTreeError,
  PlanBackendError,
  PlanFileError,
  ReadInterruptedError,
  RegsweepError,
  type RegsweepErrorCode,
  RepeatingSkipsError,
  RepositoryNotFoundError,
  StaleCacheError,
  StalePlanError,
  StorageIoError,
  StorageSymlinkError,
  StorageThrottledError,
  TagNotFoundError,
  type ToolErrorCode,
} from "./model/errors.js";
export type {
  BlobInfo,
  Finding,
  FindingCode,
  Inventory,
  LayerLinkInfo,
  MultipartUploadInfo,
  RepositoryInventory,
  RevisionInfo,
  TagInfo,
  UploadInfo,
} from "./model/inventory.js";
export {
  isManifestProblem,
  type ManifestInfo,
  type ManifestKind,
  type ManifestProblem,
  parseManifest,
  sha256Digest,
} from "./model/manifest.js";
export { MANIFEST_MEDIA_TYPES, MediaType } from "./model/media-types.js";
export type {
  BackendKind,
  KeptCode,
  KeptNote,
  Plan,
  PlanAction,
  PlanOptions,
  PlanRequest,
  PlanSummary,
  RepositorySnapshot,
  TagMethod,
} from "./model/plan.js";
export {
  formatReference,
  parseReference,
  type Reference,
  validateRepositoryName,
  validateTag,
} from "./model/reference.js";
export {
  isPlaceholderBlob,
  isPlaceholderManifest,
  makePlaceholder,
  PLACEHOLDER_CONFIG_BYTES,
  PLACEHOLDER_CONFIG_MEDIA_TYPE,
  PLACEHOLDER_MANIFEST_BYTES,
  type Placeholder,
} from "./placeholder.js";
export {
  type CheckProblem,
  type CheckProblemCode,
  type CheckReport,
  checkInventory,
  type Orphan,
  type OrphanGroup,
  type TagCheck,
} from "./plan/check-inventory.js";
export {
  type GraphEdge,
  imageContents,
  type ManifestGraph,
  type ManifestLookup,
  manifestLookup,
  reachableFromTags,
  referrersBySubject,
  referrerTagSubject,
  repositoryGraph,
  revisionBlobs,
  walkReachable,
} from "./plan/manifest-graph.js";
export { DEFAULT_PLAN_OPTIONS, planDeletion } from "./plan/plan-deletion.js";
export { parsePlanJson, planJsonChunks, readPlanFile } from "./plan/plan-json.js";
export { actionFiles, actionPath, actionStrays, ownDir } from "./plan/plan-paths.js";
export { type RepositorySpace, type SpaceReport, summarizeSpace } from "./plan/space-usage.js";
export { attributeFreedBytes } from "./retention/attribute-freed-bytes.js";
export { loadPolicy } from "./retention/load-policy.js";
export { type ParsePolicyOptions, parseDigestList, parsePolicy } from "./retention/parse-policy.js";
export { parseWindowDate } from "./retention/parse-window-date.js";
export {
  planRetention,
  type RetentionOptions,
  type RetentionPlan,
  tagSemver,
} from "./retention/plan-retention.js";
export type {
  Decision,
  DecisionCause,
  KeepCondition,
  NamePattern,
  NameSelector,
  RetentionPolicy,
  RetentionRule,
  TagOrder,
  TimeSource,
} from "./retention/policy.js";
export { PolicyError } from "./retention/policy-error.js";
export { type ReadCreatedTimesOptions, readCreatedTimes } from "./retention/read-created-times.js";
export { type ApplyOptions, applyPlan } from "./storage/apply-plan.js";
export { Journal, type PendingJournal } from "./storage/journal.js";
export {
  type ReadStorageOptions,
  readStorageInventory,
  type StorageReadProgress,
} from "./storage/read-storage-inventory.js";
export { clearStaleState } from "./storage/stale-state.js";
export { StorageBackend, type StorageBackendOptions } from "./storage/storage-backend.js";
export { lockStorage, STATE_DIR, type StorageLock } from "./storage/storage-lock.js";
export { parsePath, pathFor, type StoragePath } from "./storage/storage-paths.js";
export { describeChange, type RepositoryChange } from "./storage/storage-rechecks.js";
export {
  type BlobMismatch,
  type BlobVerifyReport,
  type VerifyBlobOptions,
  verifyBlobDigests,
} from "./storage/verify-blob-digests.js";
export { FsStore, type FsStoreOptions } from "./stores/fs/fs-store.js";
export { openFsStore } from "./stores/fs/open-fs-store.js";
export { createS3Client, type S3RequestCounts } from "./stores/s3/s3-client.js";
export { DEFAULT_S3_MAX_ATTEMPTS } from "./stores/s3/s3-retry.js";
export {
  DEFAULT_S3_CONCURRENCY,
  DELETE_CHUNK,
  type S3MultipartUpload,
  S3Store,
  type S3StoreOptions,
} from "./stores/s3/s3-store.js";
export {
  type RegistryS3Section,
  rootDirectoryPrefix,
  type S3Target,
  s3Location,
  s3TargetFromRegistryConfig,
  s3TargetFromUrl,
} from "./stores/s3/s3-target.js";
export type { Store, StoreEntry, StoreStat } from "./stores/store.js";
export { isStoreFailure, isStoreMissing } from "./stores/store.js";
export type { StoreTarget } from "./stores/use-store.js";
export { parseDuration } from "./util/duration.js";
export { limitHeapGrowth } from "./util/heap-growth.js";
