import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../model/errors.js";
import { rootDirectoryPrefix, s3Location, s3TargetFromRegistryConfig, s3TargetFromUrl } from "./s3-target.js";

describe("rootDirectoryPrefix", () => {
  it.each([
    [undefined, ""],
    ["", ""],
    ["/", ""],
    ["/reg", "reg/"],
    ["reg/", "reg/"],
    ["/a/b/", "a/b/"],
  ])("%s → '%s' (as the s3-aws driver trims it)", (root, prefix) => {
    expect(rootDirectoryPrefix(root)).toBe(prefix);
  });
});

describe("s3TargetFromRegistryConfig", () => {
  const section = {
    region: "us-east-1",
    regionendpoint: "http://127.0.0.1:9000",
    bucket: "regbucket",
    accesskey: "test:tester",
    secretkey: "testing",
    secure: false,
    v4auth: true,
    rootdirectory: "/reg",
  };

  it("reads the registry's section: endpoint with its scheme, the root as a key prefix, static keys", () => {
    expect(s3TargetFromRegistryConfig(section)).toEqual({
      bucket: "regbucket",
      prefix: "reg/",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9000",
      credentials: { accessKeyId: "test:tester", secretAccessKey: "testing" },
      skipVerify: false,
    });
  });

  it.each([
    [true, "https://s3.example:8443"],
    [false, "http://s3.example:8443"],
    [undefined, "https://s3.example:8443"],
  ])("an endpoint without a scheme takes it from secure=%s", (secure, endpoint) => {
    const target = s3TargetFromRegistryConfig({ ...section, regionendpoint: "s3.example:8443", secure });
    expect(target.endpoint).toBe(endpoint);
  });

  it("takes the registry's environment overrides, and the SDK chain when no keys are given", () => {
    const { accesskey: _a, secretkey: _s, ...noKeys } = section;
    const target = s3TargetFromRegistryConfig(noKeys, {
      REGISTRY_STORAGE_S3_BUCKET: "other",
      REGISTRY_STORAGE_S3_SKIPVERIFY: "true",
    });
    expect(target).toMatchObject({ bucket: "other", skipVerify: true });
    expect(target.credentials).toBeUndefined();
  });

  it.each([
    [{ bucket: undefined }],
    [{ region: undefined }],
    [{ v4auth: false }],
    [{ secretkey: undefined }],
    [{ secure: "maybe" }],
  ])("refuses %o", (change) => {
    expect(() => s3TargetFromRegistryConfig({ ...section, ...change })).toThrow(InvalidRequestError);
  });
});

describe("s3TargetFromUrl", () => {
  it("takes bucket and prefix, the endpoint and region options, AWS_REGION otherwise", () => {
    expect(s3TargetFromUrl("s3://my-bucket/reg/", { endpoint: "http://127.0.0.1:9000/" }, {})).toEqual({
      bucket: "my-bucket",
      prefix: "reg/",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9000",
      skipVerify: false,
    });
    expect(s3TargetFromUrl("s3://my-bucket", {}, { AWS_REGION: "eu-west-1" })).toMatchObject({
      prefix: "",
      region: "eu-west-1",
    });
  });

  it.each(["s3://", "s3://UPPER/x", "http://bucket/x", "s3://a"])("refuses %s", (url) => {
    expect(() => s3TargetFromUrl(url, {}, {})).toThrow(InvalidRequestError);
  });

  it("names a location without credentials", () => {
    expect(s3Location({ bucket: "b", prefix: "reg/" })).toBe("s3://b/reg");
    expect(s3Location({ bucket: "b", prefix: "" })).toBe("s3://b");
  });
});
