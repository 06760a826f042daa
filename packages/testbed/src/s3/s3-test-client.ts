import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { COMPATIBLE_CHECKSUMS, withContentMd5OnDeleteObjects } from "@regsweep/s3-compat";
import type { S3ServerInfo } from "./s3-server.js";

/**
 * An SDK client for a test bed server, with the two settings these servers need: checksums only when
 * required (Swift and Ceph 16 refuse aws-chunked trailers) and a Content-MD5 on DeleteObjects (Swift
 * requires it), both from @regsweep/s3-compat as the product's own client has them; this one is for set-up
 * and assertions only.
 */
export function testS3Client(server: S3ServerInfo): S3Client {
  return withContentMd5OnDeleteObjects(
    new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
      ...COMPATIBLE_CHECKSUMS,
    }),
  );
}

/**
 * The environment a regsweep process needs to reach the server through the standard AWS chain: its keys and
 * region, and no profile (so a developer's ~/.aws cannot take part).
 */
export function s3ChainEnv(server: S3ServerInfo): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_PROFILE: "",
    AWS_REGION: server.region,
  };
}

/** A bucket name no other test (or concurrent run) uses. */
export function uniqueBucketName(prefix = "regsweep"): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** A fresh, empty bucket on the server, removed with everything in it on dispose. */
export interface TestBucket extends AsyncDisposable {
  readonly name: string;
  readonly client: S3Client;
  /** Every key in the bucket (or under `prefix`), sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** Writes one object (seeding a bucket with a tree made on disk, for packages without the SDK). */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Writes every file under `dir` as `<prefix>/<path below dir>`, 16 at a time; answers how many. */
  putTree(prefix: string, dir: string): Promise<number>;
  /** Deletes objects (losing an upload's `_uploads` keys, say). */
  delete(keys: readonly string[]): Promise<void>;
  /** Every multipart upload in progress (or under `prefix`), every page, sorted by key. */
  uploads(prefix?: string): Promise<Array<{ key: string; uploadId: string; initiated: Date }>>;
  /** Starts a multipart upload with one part, as the registry's s3 driver does on a blob upload's PATCH. */
  startUpload(key: string, part: string): Promise<string>;
  /** Aborts every upload in progress, deletes every object, then the bucket. */
  remove(): Promise<void>;
}

/** Creates a bucket with a unique name on the server. */
export async function createTestBucket(server: S3ServerInfo, prefix?: string): Promise<TestBucket> {
  const client = testS3Client(server);
  const name = uniqueBucketName(prefix);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  const keys = async (under?: string) => {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: name, Prefix: under, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) all.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return all.sort();
  };
  const uploads = async (under?: string) => {
    const all: Array<{ key: string; uploadId: string; initiated: Date }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: name,
          Prefix: under,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const u of page.Uploads ?? [])
        if (u.Key && u.UploadId)
          all.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) });
      if (!page.IsTruncated) return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  };
  const bucket: TestBucket = {
    name,
    client,
    keys,
    uploads,
    async delete(gone) {
      if (gone.length === 0) return;
      await client.send(
        new DeleteObjectsCommand({
          Bucket: name,
          Delete: { Objects: gone.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    },
    async startUpload(key, part) {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: name, Key: key }));
      await client.send(
        new UploadPartCommand({
          Bucket: name,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: part,
        }),
      );
      return created.UploadId as string;
    },
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body }));
    },
    async putTree(prefix, dir) {
      const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name));
      for (let i = 0; i < files.length; i += 16)
        await Promise.all(
          files
            .slice(i, i + 16)
            .map(async (path) => bucket.put(`${prefix}/${relative(dir, path)}`, await readFile(path))),
        );
      return files.length;
    },
    async remove() {
      // Uploads in progress hold parts (Swift: in a segments container) that keep a bucket from going.
      for (const u of await uploads())
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: name, Key: u.key, UploadId: u.uploadId }),
        );
      for (;;) {
        const batch = (await keys()).slice(0, 1000);
        if (batch.length === 0) break;
        await client.send(
          new DeleteObjectsCommand({
            Bucket: name,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
      await client.send(new DeleteBucketCommand({ Bucket: name }));
      client.destroy();
    },
    async [Symbol.asyncDispose]() {
      await bucket.remove();
    },
  };
  return bucket;
}
