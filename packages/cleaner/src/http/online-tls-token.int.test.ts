import { execFileSync } from "node:child_process";
import { createPrivateKey, sign, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  availableRegistryVersions,
  image,
  layer,
  makeTestTls,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { applyOnlinePlan } from "./apply-online-plan.js";
import { RegistryAuthError, RegistryTlsError } from "./http-errors.js";
import { readRegistryInventory } from "./read-registry-inventory.js";
import { RegistryClient } from "./registry-client.js";

const versions = availableRegistryVersions();

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: "ignore" });
}

/**
 * A token issuer as distribution's token auth expects (docs/spec/auth/token.md): checks Basic credentials,
 * grants the requested scopes, signs ES256 with a self-signed certificate sent in `x5c` that the registry
 * trusts through `rootcertbundle`.
 */
async function startTokenIssuer(dir: string, user: { username: string; password: string }) {
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "issuer.key",
    "-out",
    "issuer.pem",
    "-days",
    "2",
    "-subj",
    "/CN=regsweep token issuer",
  );
  const key = createPrivateKey(await readFile(join(dir, "issuer.key")));
  const cert = new X509Certificate(await readFile(join(dir, "issuer.pem")));
  const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const requests: string[][] = [];
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scopes = url.searchParams.getAll("scope");
    requests.push(scopes);
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [cert.raw.toString("base64")] };
    const claims = {
      iss: "regsweep-test-issuer",
      sub: user.username,
      aud: url.searchParams.get("service"),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: `${now}-${requests.length}`,
      access: scopes.map((s) => {
        const [type, name, actions] = [
          s.slice(0, s.indexOf(":")),
          s.slice(s.indexOf(":") + 1, s.lastIndexOf(":")),
          s.slice(s.lastIndexOf(":") + 1),
        ];
        return { type, name, actions: actions.split(",") };
      }),
    };
    const input = `${b64url(header)}.${b64url(claims)}`;
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString(
      "base64url",
    );
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        token: `${input}.${signature}`,
        expires_in: 300,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: "regsweep-test-registry",
    issuer: "regsweep-test-issuer",
    rootCertBundle: join(dir, "issuer.pem"),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(versions)("online engine with TLS and bearer tokens on registry %s", (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-online-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  /** Pushes over plain HTTP without auth, then serves the same tree with the given auth/TLS. */
  const seeded = async (extra: Partial<Parameters<typeof startRegistryProcess>[0]>) => {
    const r = await startRegistryProcess({ version });
    cleanup.push(() => r.stop({ removeStorage: true }));
    const a = image({ layers: [layer("a")] });
    const b = image({ layers: [layer("b")] });
    await pushManifest(r, "app", a, "1");
    await pushManifest(r, "app", b, "2");
    await r.restart(extra);
    return { r, a, b };
  };
  const client = (
    r: StartedRegistry,
    extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {},
  ) => {
    const c = new RegistryClient({ url: r.url, retries: 1, backoffMs: 20, ...extra });
    cleanup.push(async () => c.close());
    return c;
  };

  it("verifies TLS by default: an unknown CA fails with registry.tls; the CA bundle or --insecure work", async () => {
    const files = makeTestTls(await tempDir());
    const { r, b } = await seeded({ tls: { certificate: files.certificate, key: files.key } });
    expect(r.url.startsWith("https://")).toBe(true);
    const untrusted = await readRegistryInventory(client(r)).catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(RegistryTlsError);

    const insecure = await readRegistryInventory(client(r, { insecure: true }));
    expect(insecure.repositories.map((x) => x.name)).toEqual(["app"]);

    const c = client(r, { ca: await readFile(files.ca) });
    const inventory = await readRegistryInventory(c);
    const plan = planDeletion(inventory, [{ kind: "delete-tag", repository: "app", tag: "1" }], {
      graceMs: 0,
    });
    const report = await applyOnlinePlan(c, plan);
    expect(report.skipped).toEqual([]);
    const after = await readRegistryInventory(c);
    expect(after.repositories[0]?.tags.map((t) => [t.name, t.current])).toEqual([["2", b.digest]]);
  });

  it("mutual TLS: a registry that wants client certificates refuses a client without one, accepts ours", async () => {
    const files = makeTestTls(await tempDir());
    const { r, b } = await seeded({
      tls: { certificate: files.certificate, key: files.key, clientCas: [files.ca] },
    });
    const ca = await readFile(files.ca);
    const refused = await readRegistryInventory(client(r, { ca })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryTlsError);
    const c = client(r, {
      ca,
      cert: await readFile(files.clientCertificate),
      key: await readFile(files.clientKey),
    });
    const inventory = await readRegistryInventory(c);
    expect(inventory.repositories[0]?.tags.map((t) => [t.name, t.current])).toContainEqual(["2", b.digest]);
  });

  it("bearer tokens: challenge → token endpoint with the right scopes, tokens reused, wrong password refused", async () => {
    const dir = await tempDir();
    const user = { username: "carol", password: "token-pw" };
    const issuer = await startTokenIssuer(dir, user);
    cleanup.push(issuer.close);
    const { r, b } = await seeded({
      token: {
        realm: issuer.realm,
        service: issuer.service,
        issuer: issuer.issuer,
        rootCertBundle: issuer.rootCertBundle,
      },
    });

    const wrong = await readRegistryInventory(
      client(r, { credentials: { ...user, password: "nope" } }),
    ).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(RegistryAuthError);

    issuer.requests.length = 0;
    const c = client(r, { credentials: user });
    const inventory = await readRegistryInventory(c);
    expect(inventory.repositories[0]?.tags.map((t) => t.name)).toEqual(["1", "2"]);
    const scopes = issuer.requests.flat();
    expect(scopes).toContain("registry:catalog:*");
    expect(scopes).toContain("repository:app:pull");
    // One token per scope, reused for every later request with that scope.
    expect(scopes.filter((s) => s === "repository:app:pull")).toHaveLength(1);
    const requestsBefore = issuer.requests.length;

    const plan = planDeletion(inventory, [{ kind: "delete-tag", repository: "app", tag: "1" }], {
      graceMs: 0,
    });
    const report = await applyOnlinePlan(c, plan);
    expect(report.skipped).toEqual([]);
    expect(
      issuer.requests
        .slice(requestsBefore)
        .flat()
        .some((s) => s.startsWith("repository:app:") && s.includes("delete")),
    ).toBe(true);
    const after = await readRegistryInventory(c);
    expect(after.repositories[0]?.tags.map((t) => [t.name, t.current])).toEqual([["2", b.digest]]);
  });
});
