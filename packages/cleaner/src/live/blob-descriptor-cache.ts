import { parse } from "yaml";

/**
 * Which blob descriptor cache a registry keeps (`storage.cache.blobdescriptor`), as far as its config and
 * environment tell. It matters to a deletion beside a serving registry: the cache answers "exists" for a
 * blob without looking at the storage, so a push can skip uploading a blob that is gone.
 * `unknown`: the config could not be read (a registry in a container, a config on another host).
 */
export type BlobDescriptorCache =
  | { kind: "none" }
  | { kind: "inmemory" }
  | { kind: "redis"; redis: RedisEndpoint }
  | { kind: "unknown"; why: string };

/** Where the registry's redis is (`redis:` in its config: 2.x `addr`, 3.x `addrs`), and how to log in. */
export interface RedisEndpoint {
  host: string;
  port: number;
  db: number;
  password?: string;
  username?: string;
  tls: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

interface RegistryConfigDoc {
  storage?: { cache?: { blobdescriptor?: string } };
  redis?: {
    addr?: string;
    addrs?: string[];
    password?: string;
    username?: string;
    db?: number | string;
    tls?: { enabled?: boolean } | boolean;
  };
}

function endpoint(addr: string, doc: RegistryConfigDoc["redis"], env: Env): RedisEndpoint {
  // `host:port`; an IPv6 host comes bracketed ([::1]:6379), as Go's net.Dial wants it.
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(addr.trim());
  const host = match?.[1] || "127.0.0.1";
  const port = Number(match?.[2] ?? 6379);
  const password = env.REGISTRY_REDIS_PASSWORD ?? doc?.password;
  const username = env.REGISTRY_REDIS_USERNAME ?? doc?.username;
  const tls = typeof doc?.tls === "boolean" ? doc.tls : Boolean(doc?.tls?.enabled);
  return {
    host,
    port,
    db: Number(env.REGISTRY_REDIS_DB ?? doc?.db ?? 0) || 0,
    ...(password ? { password } : {}),
    ...(username ? { username } : {}),
    tls: env.REGISTRY_REDIS_TLS_ENABLED !== undefined ? env.REGISTRY_REDIS_TLS_ENABLED === "true" : tls,
  };
}

/**
 * The cache a registry with this config text and environment keeps. The environment overrides the file as
 * the registry's own loader does (`REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR`, `REGISTRY_REDIS_ADDR`, ...; see
 * distribution's `configuration/parser.go`).
 */
export function readBlobDescriptorCache(configText: string | undefined, env: Env = {}): BlobDescriptorCache {
  let doc: RegistryConfigDoc = {};
  if (configText !== undefined) {
    try {
      doc = (parse(configText) ?? {}) as RegistryConfigDoc;
    } catch (error) {
      return { kind: "unknown", why: `the registry config is not YAML: ${(error as Error).message}` };
    }
  }
  const kind = (env.REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR ?? doc.storage?.cache?.blobdescriptor ?? "")
    .trim()
    .toLowerCase();
  if (kind === "") return { kind: "none" };
  if (kind === "inmemory") return { kind: "inmemory" };
  if (kind === "redis") {
    const addr = env.REGISTRY_REDIS_ADDR ?? doc.redis?.addr ?? doc.redis?.addrs?.[0];
    if (!addr) return { kind: "unknown", why: "the cache is redis but the config names no redis address" };
    return { kind: "redis", redis: endpoint(addr, doc.redis, env) };
  }
  return { kind: "unknown", why: `unknown blob descriptor cache '${kind}'` };
}
