import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";

/**
 * Checksums only when an operation requires one: the SDK's default CRC32 trailers (aws-chunked) are refused
 * by Swift s3api ("NotImplemented") and Ceph 16 ("MissingContentLength"). Harmless on AWS.
 */
export const COMPATIBLE_CHECKSUMS = {
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
} as const;

/**
 * Adds a Content-MD5 to every DeleteObjects the client sends: Swift s3api requires it and the SDK no longer
 * sends one (it sends a CRC32 only when asked). Harmless on AWS and Ceph. Returns the client.
 */
export function withContentMd5OnDeleteObjects(client: S3Client): S3Client {
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
  return client;
}
