import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../free-port.js";
import type { StartedS3Server } from "./s3-server.js";
import { claimRunDir, type ServiceProcess, spawnService, waitFor } from "./service-process.js";
import { failedStart, startedS3Server } from "./started-s3-server.js";

const run = promisify(execFile);

const ACCESS_KEY = "REGTESTACCESSKEY";
const SECRET_KEY = "regtestsecretkey";
const REGION = "us-east-1";
const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"];

/**
 * Starts a one-node Ceph cluster from Debian bookworm's packages: one monitor, one memstore OSD (data in
 * RAM, capped at 1 GiB) and RGW, auth `none`, no mgr, every port free-chosen on 127.0.0.1 and every file
 * in a private temp folder. About 13 s, most of it RGW creating its pools.
 */
export async function startCephServer(): Promise<StartedS3Server> {
  for (const binary of BINARIES) {
    const found = await run("sh", ["-c", `command -v ${binary}`]).then(
      () => true,
      () => false,
    );
    if (!found) throw new Error(`${binary} is not installed: run scripts/setup.sh (it installs Ceph)`);
  }
  const runDir = await mkdtemp(join(tmpdir(), "regsweep-ceph-"));
  const pidsFile = claimRunDir(runDir);
  const services: ServiceProcess[] = [];
  const logs = join(runDir, "log");
  try {
    for (const dir of ["mon.a", "osd.0", "run", "log", "crash", "rgw"]) await mkdir(join(runDir, dir));
    const mon = await freePortRange(2);
    const messenger = await freePortRange(8);
    const rgwPort = await freePort();
    const fsid = randomUUID();
    const monHost = `[v2:127.0.0.1:${mon},v1:127.0.0.1:${mon + 1}]`;
    const conf = join(runDir, "ceph.conf");
    await writeFile(conf, cephConf({ runDir, fsid, monHost, messenger, rgwPort }));
    const env = { ...process.env, CEPH_CONF: conf };
    const ceph = (command: string, args: string[], timeoutMs = 60_000) =>
      run(command, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 });

    await ceph("ceph-authtool", [
      "--create-keyring",
      join(runDir, "keyring"),
      "--gen-key",
      "-n",
      "mon.",
      "--cap",
      "mon",
      "allow *",
    ]);
    await ceph("monmaptool", ["--create", "--addv", "a", monHost, "--fsid", fsid, join(runDir, "monmap")]);
    await ceph("ceph-mon", [
      "--mkfs",
      "-i",
      "a",
      "--monmap",
      join(runDir, "monmap"),
      "--keyring",
      join(runDir, "keyring"),
    ]);
    services.push(
      spawnService("ceph-mon", "ceph-mon", ["-i", "a", "-f"], {
        env,
        logFile: join(logs, "mon.out"),
        pidsFile,
      }),
    );
    const dead = () => {
      const gone = services.find((s) => s.exited());
      return gone ? `${gone.name} exited; see ${logs}` : undefined;
    };

    const osdUuid = randomUUID();
    const osdId = (await ceph("ceph", ["osd", "new", osdUuid])).stdout.trim();
    await ceph("ceph-osd", ["-i", osdId, "--mkfs", "--osd-uuid", osdUuid]);
    services.push(
      spawnService("ceph-osd", "ceph-osd", ["-i", osdId, "-f"], {
        env,
        logFile: join(logs, "osd.out"),
        pidsFile,
      }),
    );
    await waitFor("ceph osd", async () => /1 up/.test((await ceph("ceph", ["osd", "stat"], 10_000)).stdout), {
      timeoutMs: 90_000,
      everyMs: 300,
      dead,
    });
    // Creating the user makes RGW's pools: the slow part.
    await ceph(
      "radosgw-admin",
      [
        "-n",
        "client.rgw.a",
        "user",
        "create",
        "--uid",
        "regtest",
        "--display-name",
        "regtest",
        "--access-key",
        ACCESS_KEY,
        "--secret-key",
        SECRET_KEY,
      ],
      120_000,
    );
    services.push(
      spawnService("radosgw", "radosgw", ["-n", "client.rgw.a", "-f"], {
        env,
        logFile: join(logs, "rgw.out"),
        pidsFile,
      }),
    );
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor(
      "ceph rgw",
      async () => {
        await fetch(`${endpoint}/`);
        return true;
      },
      { timeoutMs: 60_000, everyMs: 200, dead },
    );
    return startedS3Server(
      { kind: "ceph", endpoint, region: REGION, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, runDir },
      { runDir, logs },
      services,
    );
  } catch (error) {
    throw await failedStart("Ceph", error, { runDir, logs }, services);
  }
}

function cephConf(o: { runDir: string; fsid: string; monHost: string; messenger: number; rgwPort: number }) {
  const b = o.runDir;
  return `[global]
fsid = ${o.fsid}
mon host = ${o.monHost}
public addr = 127.0.0.1
ms bind port min = ${o.messenger}
ms bind port max = ${o.messenger + 7}
auth cluster required = none
auth service required = none
auth client required = none
run dir = ${b}/run
admin socket = ${b}/run/$name.asok
log file = ${b}/log/$name.log
crash dir = ${b}/crash
keyring = ${b}/keyring
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
[mon]
mon data = ${b}/mon.$id
mon initial members = a
[osd]
osd data = ${b}/osd.$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw data = ${b}/rgw
# radosgw defaults to a secure mon connection, which cannot work with auth none.
ms mon client mode = crc secure
`;
}

/** The first of `count` consecutive free ports (Ceph's messenger takes a range), tried at random bases. */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
