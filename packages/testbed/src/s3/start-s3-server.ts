import { startCephServer } from "./ceph-server.js";
import { type S3ServerKind, type StartedS3Server, s3ServerKindFromEnv } from "./s3-server.js";
import { startSwiftServer } from "./swift-server.js";

/** Starts a real S3 server of the given kind (default: `REGSWEEP_S3_SERVER`, else Swift). */
export function startS3Server(kind: S3ServerKind = s3ServerKindFromEnv()): Promise<StartedS3Server> {
  return kind === "ceph" ? startCephServer() : startSwiftServer();
}
