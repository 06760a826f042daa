import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import { S3Client } from "@aws-sdk/client-s3";
import { COMPATIBLE_CHECKSUMS, withContentMd5OnDeleteObjects } from "@regsweep/s3-compat";
import type { S3Target } from "./s3-target.js";

/** Requests counted by command name, for benchmarks and `--verbose` summaries. */
export type S3RequestCounts = Map<string, number>;

/**
 * An SDK client for a target. Settings that matter on real servers other than AWS, all harmless on AWS:
 * - checksums only when an operation requires one, and a Content-MD5 on DeleteObjects (`@regsweep/s3-compat`,
 *   shared with the testbed's client: Swift s3api and Ceph 16 refuse the SDK's defaults);
 * - path-style addressing whenever an endpoint is given (as distribution's driver does);
 * - TLS verified against the system's roots plus `AWS_CA_BUNDLE` when set, unless `skipVerify`;
 * - `maxSockets` connections to the server at most (the store's limit on requests in flight).
 * Credentials are the target's, else the SDK's standard chain (environment, profile, instance role).
 */
export function createS3Client(
  target: S3Target,
  counts?: S3RequestCounts,
  options: { maxSockets?: number } = {},
): S3Client {
  const secure = target.endpoint ? target.endpoint.startsWith("https:") : true;
  const caBundle = process.env.AWS_CA_BUNDLE;
  // As many connections as requests the store sends at once (the SDK's own agents allow 50): a
  // `--concurrency` above that would otherwise queue in the agent, below the store's limit.
  const maxSockets = Math.max(1, options.maxSockets ?? 64);
  const httpsAgent =
    secure && (target.skipVerify || caBundle)
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets,
          rejectUnauthorized: !target.skipVerify,
          ...(caBundle && !target.skipVerify
            ? { ca: [...rootCertificates, readFileSync(caBundle, "utf8")] }
            : {}),
        })
      : undefined;
  const client = new S3Client({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...COMPATIBLE_CHECKSUMS,
    // One attempt: the store retries (S3Store.send), with one limit on what is in flight that gives way to
    // throttling. The SDK's own retries draw on one quota per client (500 tokens, 5 a throttled retry,
    // refunded only in part by a success): sustained throttling runs it dry, and from then on every
    // refusal fails its request at once, and the SDK never sends fewer requests at a time.
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: 120_000,
      connectionTimeout: 10_000,
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: httpsAgent ?? { keepAlive: true, maxSockets },
    },
  });
  withContentMd5OnDeleteObjects(client);
  if (counts) {
    // Counted per attempt: what the server sees.
    client.middlewareStack.addRelativeTo(
      ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          const name = (context.commandName ?? "unknown").replace(/Command$/, "");
          counts.set(name, (counts.get(name) ?? 0) + 1);
          return next(args);
        }) as never,
      { relation: "after", toMiddleware: "retryMiddleware", name: "regsweepRequestCount" },
    );
  }
  return client;
}
