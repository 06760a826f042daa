import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { freePort } from "../free-port.js";
import type { S3ServerInfo } from "./s3-server.js";
import { type TestBucket, testS3Client } from "./s3-test-client.js";
import { type ServiceProcess, spawnService, stopAll, waitFor } from "./service-process.js";

/**
 * How a throttled front end refuses requests, per server kind; both answer what AWS answers when it
 * throttles, `503 SlowDown` with the S3 XML error.
 * - Swift: the proxy's own `ratelimit` middleware (limits object PUT/DELETE/POST/COPY per container, and
 *   container listings; never object GET/HEAD). A request over the rate sleeps up to `maxSleepSeconds`,
 *   past that the middleware answers 498, which s3api turns into 503 SlowDown (`s3request.py`).
 * - Ceph: RGW's request throttler (`rgw_max_concurrent_requests`, the default `throttler` scheduler): a
 *   request beyond that many in flight is refused at once with 503 SlowDown; 0 refuses every request.
 */
export interface ThrottleOptions {
  swift?: { writesPerSecond?: number; listingsPerSecond?: number; maxSleepSeconds?: number };
  ceph?: { maxConcurrentRequests: number };
}

/** A second front end of a running server (same data), throttling; disposed with `await using`. */
export interface ThrottledFrontend extends AsyncDisposable {
  /** An S3ServerInfo whose endpoint is the throttling front end. */
  readonly server: S3ServerInfo;
  stop(): Promise<void>;
}

/**
 * Starts a second front end onto the data of a running test bed server (its run folder), throttling as
 * `options` say for its kind: a second Swift proxy with `ratelimit` in its pipeline (sharing the rings,
 * storage servers and memcached), or a second radosgw on the same cluster. The server's own endpoint is
 * untouched, so a test sets up and checks through it while the code under test meets the throttling.
 */
export async function startThrottledFrontend(
  server: S3ServerInfo,
  options: ThrottleOptions,
): Promise<ThrottledFrontend> {
  const port = await freePort();
  const pidsFile = join(server.runDir, "pids");
  const logFile = join(server.runDir, "log", `throttled-${port}.log`);
  const services: ServiceProcess[] = [];
  if (server.kind === "swift") {
    const o = options.swift ?? {};
    const base = await readFile(join(server.runDir, "etc", "proxy-server.conf"), "utf8");
    // A memcached of its own: the limit sizes containers by their object count, which the server's proxy
    // caches for a minute in its memcached from the bucket's first write (when it held nothing, and an
    // empty container is never limited); this proxy looks it up afresh, with the bucket already seeded.
    const memcachedPort = await freePort();
    const memcachedArgs = ["-l", "127.0.0.1", "-p", String(memcachedPort), "-U", "0", "-m", "16"];
    if (process.getuid?.() === 0) memcachedArgs.push("-u", "root");
    services.push(spawnService("memcached-throttled", "memcached", memcachedArgs, { logFile, pidsFile }));
    // After auth: what it limits are the Swift requests s3api makes of each S3 request (a DeleteObjects
    // deletes its keys one by one, each under the limit).
    const conf = `${base
      .replace(/^bind_port = \d+$/m, `bind_port = ${port}`)
      .replace(/^memcache_servers = .*$/m, `memcache_servers = 127.0.0.1:${memcachedPort}`)
      .replace(/^(pipeline = .* s3api tempauth) /m, "$1 ratelimit ")}
[filter:ratelimit]
use = egg:swift#ratelimit
clock_accuracy = 1000
rate_buffer_seconds = 0
max_sleep_time_seconds = ${o.maxSleepSeconds ?? 0.05}
${o.writesPerSecond ? `container_ratelimit_0 = ${o.writesPerSecond}` : ""}
${o.listingsPerSecond ? `container_listing_ratelimit_0 = ${o.listingsPerSecond}` : ""}
`;
    if (!conf.includes(" ratelimit ")) throw new Error("the Swift proxy's pipeline has no s3api tempauth");
    const file = join(server.runDir, "etc", `proxy-throttled-${port}.conf`);
    await writeFile(file, conf);
    services.push(
      spawnService("swift-proxy-throttled", "swift-proxy-server", [file, "-v"], { logFile, pidsFile }),
    );
  } else {
    const o = options.ceph ?? { maxConcurrentRequests: 1024 };
    services.push(
      spawnService(
        "radosgw-throttled",
        "radosgw",
        [
          "-n",
          "client.rgw.a",
          "-f",
          "--rgw-frontends",
          `beast endpoint=127.0.0.1:${port}`,
          "--rgw-max-concurrent-requests",
          String(o.maxConcurrentRequests),
          "--admin-socket",
          join(server.runDir, "run", `rgw-throttled-${port}.asok`),
          "--log-file",
          logFile,
        ],
        { env: { ...process.env, CEPH_CONF: join(server.runDir, "ceph.conf") }, logFile, pidsFile },
      ),
    );
  }
  const stop = () => stopAll(services);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    // Any answer at all (a refused request is an answer too).
    await waitFor(
      "throttled front end",
      async () => {
        await fetch(`${endpoint}/`);
        return true;
      },
      {
        timeoutMs: 60_000,
        everyMs: 100,
        dead: () => (services.some((s) => s.exited()) ? `exited; see ${logFile}` : undefined),
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const frontend: ThrottledFrontend = {
    server: { ...server, endpoint },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
  return frontend;
}

/**
 * Occupies one request slot of a server (RGW's throttler counts requests in flight): starts a GET of a
 * 32 MiB object through `server` and never reads its body, so the server stays blocked on a full socket
 * until `release()`.
 */
export async function holdRequestSlot(
  server: S3ServerInfo,
  bucket: TestBucket,
): Promise<{ release(): void }> {
  await bucket.put("slot-holder", new Uint8Array(32 << 20));
  const client = testS3Client(server);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket.name, Key: "slot-holder" }));
  const body = got.Body as unknown as { destroy(): void; pause(): void };
  body.pause();
  return {
    release() {
      body.destroy();
      client.destroy();
    },
  };
}
