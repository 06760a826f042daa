import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "./free-port.js";
import { trackProcess } from "./process-ledger.js";
import { pushBlob } from "./push.js";
import { defaultTestVersion, registryBinary } from "./registry-binary.js";
import { registryConfigYaml } from "./registry-config.js";
import { findRegistryVersion } from "./registry-versions.js";
import { signedSchema1, verifySchema1 } from "./schema1.js";
import { expectPullable } from "./skopeo.js";
import { layer } from "./test-images.js";

// 2.7+ refuse schema1 PUTs ("manifest schema v1 unsupported") unless `compatibility.schema1.enabled`; the
// testbed's config does not set it, so this test starts the binary itself with it on. The registry then
// verifies the libtrust signature on PUT exactly as 2.2 does.
const version = defaultTestVersion();
let url = "";
let host = "";
let stop: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const entry = findRegistryVersion(version);
  const binary = registryBinary(version);
  if (!binary) throw new Error(`registry ${version} is not cached`);
  const dir = await mkdtemp(join(tmpdir(), "regsweep-schema1-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `${registryConfigYaml({ port, storageRoot: join(dir, "data"), deleteEnabled: true })}compatibility:\n  schema1:\n    enabled: true\n`,
  );
  const child = trackProcess(
    spawn(binary, entry.cliForm === "serve" ? ["serve", config] : [config], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...entry.env },
      stdio: "ignore",
    }),
    { kind: "registry" },
  );
  stop = async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")) await exited;
    await rm(dir, { recursive: true, force: true });
  };
  url = `http://127.0.0.1:${port}`;
  host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry ${version} did not answer on ${url}`);
});

afterAll(async () => {
  await stop();
});

async function put(name: string, reference: string, bytes: Buffer, mediaType: string): Promise<Response> {
  return fetch(`${url}/v2/${name}/manifests/${reference}`, {
    method: "PUT",
    headers: { "Content-Type": mediaType },
    body: bytes,
  });
}

describe(`signed schema1 on registry ${version} (compatibility.schema1.enabled)`, () => {
  test("the registry accepts the signature, stores the payload digest, and skopeo pulls it", async () => {
    const layers = [layer("schema1 int bottom"), layer("schema1 int top")];
    for (const b of layers) await pushBlob({ url }, "test/schema1", b);
    const m = signedSchema1({ name: "test/schema1", tag: "1", layers });
    const res = await put("test/schema1", "1", m.bytes, m.mediaType);
    expect(res.status, await res.text()).toBe(201);
    expect(res.headers.get("docker-content-digest")).toBe(m.digest);

    // 2.5+ store the payload and re-sign on GET with their own key: the served signature verifies too.
    const got = await fetch(`${url}/v2/test/schema1/manifests/${m.digest}`, {
      headers: { Accept: m.mediaType },
    });
    expect(got.status).toBe(200);
    const served = Buffer.from(await got.arrayBuffer());
    expect(verifySchema1(served).payload.equals(m.payload)).toBe(true);
    await expectPullable(host, "test/schema1:1");
  });

  test("a tampered signature is refused with MANIFEST_UNVERIFIED", async () => {
    const layers = [layer("schema1 int tampered")];
    for (const b of layers) await pushBlob({ url }, "test/schema1", b);
    const m = signedSchema1({ name: "test/schema1", tag: "2", layers });
    const doc = JSON.parse(m.bytes.toString()) as { signatures: { signature: string }[] };
    const sig = doc.signatures[0]?.signature ?? "";
    const flipped = `${sig.startsWith("A") ? "B" : "A"}${sig.slice(1)}`;
    const res = await put(
      "test/schema1",
      "2",
      Buffer.from(m.bytes.toString().replace(sig, flipped)),
      m.mediaType,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("MANIFEST_UNVERIFIED");
  });
});
