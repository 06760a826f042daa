import type { S3ServerInfo } from "./s3-server.js";
import { startS3Server } from "./start-s3-server.js";

/**
 * vitest globalSetup for the `s3` project: one S3 server per run (Swift ~4 s, Ceph ~13 s to start),
 * shared by every test file, each of which works in buckets of its own. Stopped at the end of the run.
 */
export default async function setup(project: {
  provide: (key: "s3Server", value: S3ServerInfo) => void;
}): Promise<() => Promise<void>> {
  const server = await startS3Server();
  const { kind, endpoint, region, accessKey, secretKey, runDir } = server;
  project.provide("s3Server", { kind, endpoint, region, accessKey, secretKey, runDir });
  return () => server.stop();
}
