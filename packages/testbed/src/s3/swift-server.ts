import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../free-port.js";
import type { StartedS3Server } from "./s3-server.js";
import { claimRunDir, type ServiceProcess, spawnService, waitFor } from "./service-process.js";
import { failedStart, startedS3Server } from "./started-s3-server.js";

const run = promisify(execFile);

/** tempauth's user: the S3 access key is `<account>:<user>` (the colon is fine for SigV4 SDKs). */
const ACCESS_KEY = "test:tester";
const SECRET_KEY = "testing";
const REGION = "us-east-1";

/** The binaries of the Debian bookworm packages swift-{proxy,account,container,object} and memcached. */
const BINARIES = [
  "swift-proxy-server",
  "swift-account-server",
  "swift-container-server",
  "swift-object-server",
];

/**
 * Starts OpenStack Swift with its `s3api` middleware on free 127.0.0.1 ports: memcached (tempauth and
 * s3api refuse requests without one), the account, container and object servers (one device, one
 * replica, rings built in-process) and the proxy. Every process runs in the foreground with
 * `workers = 0`, configs and data in a private temp folder; only `/etc/swift/swift.conf` (the hash
 * prefix the packages ship) is shared. About 6 s.
 */
export async function startSwiftServer(): Promise<StartedS3Server> {
  for (const binary of [...BINARIES, "memcached"]) {
    if (!(await onPath(binary))) {
      throw new Error(`${binary} is not installed: run scripts/setup.sh (it installs Swift and memcached)`);
    }
  }
  if (!existsSync("/etc/swift/swift.conf")) {
    throw new Error("/etc/swift/swift.conf is missing: run scripts/setup.sh");
  }
  const runDir = await mkdtemp(join(tmpdir(), "regsweep-swift-"));
  const pidsFile = claimRunDir(runDir);
  const services: ServiceProcess[] = [];
  const logs = join(runDir, "log");
  try {
    const etc = join(runDir, "etc");
    await mkdir(join(runDir, "srv", "d1"), { recursive: true });
    await mkdir(etc);
    await mkdir(logs);
    const ports = {
      proxy: await freePort(),
      account: await freePort(),
      container: await freePort(),
      object: await freePort(),
      memcached: await freePort(),
    };
    const common = (port: number) =>
      [
        "[DEFAULT]",
        "bind_ip = 127.0.0.1",
        `bind_port = ${port}`,
        "workers = 0",
        "mount_check = false",
        `devices = ${join(runDir, "srv")}`,
        `swift_dir = ${etc}`,
        // -v sends the log to stdout too; the syslog copy is pointed at a port nothing listens on.
        "log_udp_host = 127.0.0.1",
        "log_udp_port = 9",
        "log_level = INFO",
      ].join("\n");
    for (const name of ["account", "container", "object"] as const) {
      await writeFile(
        join(etc, `${name}-server.conf`),
        `${common(ports[name])}\n[pipeline:main]\npipeline = ${name}-server\n[app:${name}-server]\nuse = egg:swift#${name}\n`,
      );
    }
    await writeFile(join(etc, "proxy-server.conf"), proxyConfig(common(ports.proxy), ports.memcached));
    await buildRings(etc, ports);

    const memcachedArgs = ["-l", "127.0.0.1", "-p", String(ports.memcached), "-U", "0", "-m", "16"];
    if (process.getuid?.() === 0) memcachedArgs.push("-u", "root");
    services.push(
      spawnService("memcached", "memcached", memcachedArgs, {
        logFile: join(logs, "memcached.log"),
        pidsFile,
      }),
    );
    for (const name of ["account", "container", "object", "proxy"] as const) {
      services.push(
        spawnService(`swift-${name}`, `swift-${name}-server`, [join(etc, `${name}-server.conf`), "-v"], {
          logFile: join(logs, `${name}.log`),
          pidsFile,
        }),
      );
    }
    const dead = () => {
      const gone = services.find((s) => s.exited());
      return gone ? `${gone.name} exited; see ${logs}` : undefined;
    };
    const endpoint = `http://127.0.0.1:${ports.proxy}`;
    await waitFor("swift proxy", async () => (await fetch(`${endpoint}/healthcheck`)).ok, {
      timeoutMs: 60_000,
      dead,
    });
    // The proxy answers before the storage servers listen: wait until each answers at all (they have
    // no healthcheck filter, so a 400 is the sign of life).
    for (const name of ["account", "container", "object"] as const) {
      await waitFor(`swift ${name} server`, () => answers(`http://127.0.0.1:${ports[name]}/`), {
        timeoutMs: 60_000,
        dead,
      });
    }
    return startedS3Server(
      { kind: "swift", endpoint, region: REGION, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, runDir },
      { runDir, logs },
      services,
    );
  } catch (error) {
    throw await failedStart("Swift", error, { runDir, logs }, services);
  }
}

function proxyConfig(common: string, memcachedPort: number): string {
  const filters: Record<string, string[]> = {
    s3api: ["use = egg:swift#s3api", `location = ${REGION}`],
    tempauth: ["use = egg:swift#tempauth", `user_test_tester = ${SECRET_KEY} .admin`],
    catch_errors: ["use = egg:swift#catch_errors"],
    gatekeeper: ["use = egg:swift#gatekeeper"],
    healthcheck: ["use = egg:swift#healthcheck"],
    "proxy-logging": ["use = egg:swift#proxy_logging"],
    cache: ["use = egg:swift#memcache", `memcache_servers = 127.0.0.1:${memcachedPort}`],
    listing_formats: ["use = egg:swift#listing_formats"],
    bulk: ["use = egg:swift#bulk"],
    copy: ["use = egg:swift#copy"],
    slo: ["use = egg:swift#slo"],
    dlo: ["use = egg:swift#dlo"],
  };
  const pipeline =
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server";
  return [
    common,
    "[pipeline:main]",
    `pipeline = ${pipeline}`,
    "[app:proxy-server]",
    "use = egg:swift#proxy",
    "account_autocreate = true",
    ...Object.entries(filters).flatMap(([name, lines]) => [`[filter:${name}]`, ...lines]),
    "",
  ].join("\n");
}

/** One ring per server type: 2^4 partitions, one replica, one device (the CLI would take ~5 s more). */
async function buildRings(etc: string, ports: { account: number; container: number; object: number }) {
  const script = `
import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in (("account", int(sys.argv[2])), ("container", int(sys.argv[3])), ("object", int(sys.argv[4]))):
    b = RingBuilder(4, 1, 1)
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port, "device": "d1", "weight": 1})
    b.rebalance()
    b.get_ring().save(f"{etc}/{name}.ring.gz")
`;
  await run("/usr/bin/python3", [
    "-c",
    script,
    etc,
    String(ports.account),
    String(ports.container),
    String(ports.object),
  ]);
}

async function answers(url: string): Promise<boolean> {
  await fetch(url);
  return true;
}

async function onPath(binary: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${binary}`]).then(
    () => true,
    () => false,
  );
}
