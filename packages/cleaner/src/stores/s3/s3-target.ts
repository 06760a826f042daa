import { InvalidRequestError } from "../../model/errors.js";

/** Where a registry's objects are and how to reach them; secrets only in `credentials`, never printed. */
export interface S3Target {
  bucket: string;
  /** Key prefix of the registry's tree (`rootdirectory` without its slashes, plus `/`), "" for none. */
  prefix: string;
  region: string;
  /** `http(s)://host:port` of an S3-compatible server (path-style); none for AWS itself. */
  endpoint?: string;
  /** Static keys; without them the SDK's standard chain (environment, profile, instance role) answers. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Accept any TLS certificate (the registry's `skipverify`): only when told. */
  skipVerify?: boolean;
  /** Attempts per request (default `AWS_MAX_ATTEMPTS`, else `DEFAULT_S3_MAX_ATTEMPTS`). */
  maxAttempts?: number;
}

/** The registry's `storage.s3` section, as distribution's s3-aws driver reads it (keys are lower-case). */
export interface RegistryS3Section {
  bucket?: unknown;
  region?: unknown;
  regionendpoint?: unknown;
  rootdirectory?: unknown;
  accesskey?: unknown;
  secretkey?: unknown;
  sessiontoken?: unknown;
  secure?: unknown;
  skipverify?: unknown;
  v4auth?: unknown;
}

/** `rootdirectory` as the driver uses it: `/reg/` → `reg/`, `/` or none → "" (keys start at `docker/`). */
export function rootDirectoryPrefix(rootDirectory: string | undefined): string {
  const trimmed = (rootDirectory ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

const bool = (value: unknown, name: string, fallback: boolean): boolean => {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidRequestError(`storage.s3.${name} must be true or false, not '${String(value)}'`);
};
const str = (value: unknown): string | undefined =>
  value === undefined || value === null || value === "" ? undefined : String(value);

/**
 * The target of a registry config's `storage.s3` section, with the registry's own environment overrides
 * (`REGISTRY_STORAGE_S3_<KEY>`) on top, the way distribution 2.x resolves it: `regionendpoint` with a
 * scheme is used as given, without one `secure` picks https (default) or http; an endpoint means
 * path-style addressing (2.x has no `forcepathstyle`).
 */
export function s3TargetFromRegistryConfig(
  section: RegistryS3Section,
  env: NodeJS.ProcessEnv = {},
): S3Target {
  const get = (key: keyof RegistryS3Section) =>
    env[`REGISTRY_STORAGE_S3_${key.toUpperCase()}`] ?? section[key];
  const bucket = str(get("bucket"));
  if (!bucket) throw new InvalidRequestError("storage.s3.bucket is not set in the registry config");
  const region = str(get("region"));
  if (!region) throw new InvalidRequestError("storage.s3.region is not set in the registry config");
  if (!bool(get("v4auth"), "v4auth", true)) {
    throw new InvalidRequestError(
      "storage.s3.v4auth is false: regsweep signs requests with Signature Version 4 only (every current S3 server takes it)",
    );
  }
  const secure = bool(get("secure"), "secure", true);
  const rawEndpoint = str(get("regionendpoint"));
  const endpoint = rawEndpoint
    ? /^https?:\/\//.test(rawEndpoint)
      ? rawEndpoint.replace(/\/+$/, "")
      : `${secure ? "https" : "http"}://${rawEndpoint.replace(/\/+$/, "")}`
    : undefined;
  const accessKeyId = str(get("accesskey"));
  const secretAccessKey = str(get("secretkey"));
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidRequestError("storage.s3 has only one of accesskey and secretkey: give both or neither");
  }
  const sessionToken = str(get("sessiontoken"));
  return {
    bucket,
    prefix: rootDirectoryPrefix(str(get("rootdirectory"))),
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    skipVerify: bool(get("skipverify"), "skipverify", false),
  };
}

/**
 * The target of `--storage s3://bucket/prefix` (with `--s3-endpoint`, `--s3-region`): credentials from the
 * SDK's standard chain, region from the option, else `AWS_REGION`/`AWS_DEFAULT_REGION`, else us-east-1.
 */
export function s3TargetFromUrl(
  url: string,
  options: { endpoint?: string; region?: string; skipVerify?: boolean },
  env: NodeJS.ProcessEnv = {},
): S3Target {
  const match = /^s3:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!match?.[1]) throw new InvalidRequestError(`'${url}' is not an s3://bucket[/prefix] location`);
  const bucket = match[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new InvalidRequestError(`'${bucket}' is not a valid S3 bucket name`);
  }
  const endpoint = options.endpoint?.replace(/\/+$/, "");
  if (endpoint && !/^https?:\/\/[^/]+$/.test(endpoint)) {
    throw new InvalidRequestError(`--s3-endpoint must be http(s)://host[:port], not '${options.endpoint}'`);
  }
  return {
    bucket,
    prefix: rootDirectoryPrefix(match[2]),
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(endpoint ? { endpoint } : {}),
    skipVerify: options.skipVerify ?? false,
  };
}

/** `s3://bucket/prefix` for messages: never a credential. */
export function s3Location(target: Pick<S3Target, "bucket" | "prefix">): string {
  return `s3://${target.bucket}/${target.prefix}`.replace(/\/$/, "");
}
