import { describe, expect, it } from "vitest";
import { readBlobDescriptorCache } from "./blob-descriptor-cache.js";

describe("readBlobDescriptorCache", () => {
  it.each([
    ["no cache section", "version: 0.1\nstorage: {filesystem: {rootdirectory: /r}}\n", {}, { kind: "none" }],
    [
      "upstream's sample config",
      "storage:\n  cache:\n    blobdescriptor: inmemory\n",
      {},
      { kind: "inmemory" },
    ],
    [
      "redis 2.x addr",
      "storage: {cache: {blobdescriptor: redis}}\nredis: {addr: 'cache:6380', password: s3cret, db: 2}\n",
      {},
      { kind: "redis", redis: { host: "cache", port: 6380, db: 2, password: "s3cret", tls: false } },
    ],
    [
      "redis 3.x addrs",
      "storage: {cache: {blobdescriptor: redis}}\nredis: {addrs: ['[::1]:7000'], tls: {enabled: true}}\n",
      {},
      { kind: "redis", redis: { host: "::1", port: 7000, db: 0, tls: true } },
    ],
    [
      "the environment overrides the file",
      "storage: {cache: {blobdescriptor: inmemory}}\n",
      { REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR: "redis", REGISTRY_REDIS_ADDR: "127.0.0.1:6379" },
      { kind: "redis", redis: { host: "127.0.0.1", port: 6379, db: 0, tls: false } },
    ],
    [
      "no file, environment only",
      undefined,
      { REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR: "inmemory" },
      { kind: "inmemory" },
    ],
  ])("%s", (_, text, env, expected) => {
    expect(readBlobDescriptorCache(text, env)).toEqual(expected);
  });

  it.each([
    ["redis without an address", "storage: {cache: {blobdescriptor: redis}}\n"],
    ["a cache it does not know", "storage: {cache: {blobdescriptor: memcached}}\n"],
    ["not YAML", "storage: [\n"],
  ])("%s is unknown", (_, text) => {
    expect(readBlobDescriptorCache(text).kind).toBe("unknown");
  });
});
