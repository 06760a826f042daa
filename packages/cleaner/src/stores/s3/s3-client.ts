import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import { S3Client } from "@aws-sdk/client-s3";
import type { S3Target } from "./s3-target.js";

/** Attempts per request (the SDK's standard retry: backoff with jitter on throttling and 5xx answers). */
export const DEFAULT_S3_MAX_ATTEMPTS = 8;

/** Requests counted by command name, for benchmarks and `--verbose` summaries. */
export type S3RequestCounts = Map<string, number>;

/**
 * An SDK client for a target. Settings that matter on real servers other than AWS, all harmless on AWS:
 * - checksums only when an operation requires one: the SDK's default CRC32 trailers (aws-chunked) are
 *   refused by Swift s3api ("NotImplemented") and Ceph 16 ("MissingContentLength");
 * - a Content-MD5 on DeleteObjects, which Swift requires and the SDK no longer sends;
 * - path-style addressing whenever an endpoint is given (as distribution's driver does);
 * - TLS verified against the system's roots plus `AWS_CA_BUNDLE` when set, unless `skipVerify`.
 * Credentials are the target's, else the SDK's standard chain (environment, profile, instance role).
 */
export function createS3Client(target: S3Target, counts?: S3RequestCounts): S3Client {
  const secure = target.endpoint ? target.endpoint.startsWith("https:") : true;
  const caBundle = process.env.AWS_CA_BUNDLE;
  const httpsAgent =
    secure && (target.skipVerify || caBundle)
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 64,
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
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: target.maxAttempts ?? DEFAULT_S3_MAX_ATTEMPTS,
    retryMode: "standard",
    requestHandler: {
      requestTimeout: 120_000,
      connectionTimeout: 10_000,
      ...(httpsAgent ? { httpsAgent } : {}),
    },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "DeleteObjectsCommand") {
        const request = args.request as { headers: Record<string, string>; body?: unknown };
        if (typeof request.body === "string" || request.body instanceof Uint8Array) {
          request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
        }
      }
      return next(args);
    },
    { step: "finalizeRequest", name: "regsweepContentMd5", priority: "low" },
  );
  if (counts) {
    // Counted per attempt (below the retry step): what the server sees.
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
