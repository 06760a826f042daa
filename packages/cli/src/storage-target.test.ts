import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveStorageLocation } from "./storage-target.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function configFile(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "regsweep-target-"));
  dirs.push(dir);
  const file = join(dir, "config.yml");
  await writeFile(file, yaml);
  return file;
}
const S3_CONFIG = `storage:
  s3: {bucket: regbucket, region: us-east-1, regionendpoint: "127.0.0.1:9000", secure: false, rootdirectory: /reg, accesskey: AK, secretkey: SK}
  delete: {enabled: true}
`;

describe("resolveStorageLocation", () => {
  it("reads a config's s3 section, with the registry's environment overrides", async () => {
    const file = await configFile(S3_CONFIG);
    const location = await resolveStorageLocation({ config: file }, { REGISTRY_STORAGE_S3_BUCKET: "other" });
    expect(location).toMatchObject({
      kind: "s3",
      target: { bucket: "other", prefix: "reg/", endpoint: "http://127.0.0.1:9000" },
    });
  });

  it("REGISTRY_STORAGE names the driver over the file's, as in the registry", async () => {
    const file = await configFile("storage:\n  filesystem: {rootdirectory: /var/lib/registry}\n");
    const location = await resolveStorageLocation(
      { config: file },
      { REGISTRY_STORAGE: "s3", REGISTRY_STORAGE_S3_BUCKET: "b", REGISTRY_STORAGE_S3_REGION: "eu-west-1" },
    );
    expect(location).toMatchObject({ kind: "s3", target: { bucket: "b", region: "eu-west-1", prefix: "" } });
  });

  it("refuses other drivers and s3 flags without an s3:// location, by code", async () => {
    const gcs = await configFile("storage:\n  gcs: {bucket: b}\n");
    await expect(resolveStorageLocation({ config: gcs }, {})).rejects.toMatchObject({
      code: "request.invalid",
    });
    await expect(
      resolveStorageLocation({ config: await configFile(S3_CONFIG), s3Endpoint: "http://x:1" }, {}),
    ).rejects.toMatchObject({ code: "request.invalid" });
  });

  it("takes s3://bucket/prefix with the flags, region from AWS_REGION by default", async () => {
    const location = await resolveStorageLocation(
      { storage: "s3://regbucket/a/b/", s3Endpoint: "https://s3.local:7480/", s3SkipVerify: true },
      { AWS_REGION: "eu-central-1" },
    );
    expect(location).toEqual({
      kind: "s3",
      target: {
        bucket: "regbucket",
        prefix: "a/b/",
        region: "eu-central-1",
        endpoint: "https://s3.local:7480",
        skipVerify: true,
      },
    });
  });
});
