import type {} from "vitest";
/** Which real S3 implementation a test bed server is. */
export type S3ServerKind = "swift" | "ceph";

export const S3_SERVER_KINDS: readonly S3ServerKind[] = ["swift", "ceph"];

/** How to reach a running S3 server: plain data, so vitest's globalSetup can hand it to test files. */
export interface S3ServerInfo {
  kind: S3ServerKind;
  /** `http://127.0.0.1:PORT` (path-style addressing). */
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** The server's private folder (configs, data, logs): a second front end onto its data starts from it. */
  runDir: string;
}

// Test files of the `s3` vitest project read the run's server with `inject("s3Server")`.
declare module "vitest" {
  export interface ProvidedContext {
    /** The run's S3 server (started once per `vitest run` by `s3-global-setup.ts`). */
    s3Server: S3ServerInfo;
  }
}

/** A running S3 server on 127.0.0.1 with a private run folder, disposed with `await using` or `stop()`. */
export interface StartedS3Server extends S3ServerInfo, AsyncDisposable {
  /** Pids of every process of the server (for the benchmark's CPU figures and leak checks). */
  readonly pids: readonly number[];
  /** The tail of the server's logs, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Stops every process of the server (idempotent). */
  stop(options?: { keepRunDir?: boolean }): Promise<void>;
}

/**
 * The server kind tests run against: `REGSWEEP_S3_SERVER` (swift | ceph), Swift by default. An unknown
 * value is an error, never a silent fallback.
 */
export function s3ServerKindFromEnv(env: NodeJS.ProcessEnv = process.env): S3ServerKind {
  const raw = env.REGSWEEP_S3_SERVER ?? "swift";
  if ((S3_SERVER_KINDS as readonly string[]).includes(raw)) return raw as S3ServerKind;
  throw new Error(`REGSWEEP_S3_SERVER=${raw}: expected one of ${S3_SERVER_KINDS.join(", ")}`);
}
