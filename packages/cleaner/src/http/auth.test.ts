import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicAuthorization, dockerConfigCredentials, parseChallenge } from "./auth.js";
import { RegistryAuthError } from "./http-errors.js";

describe("parseChallenge", () => {
  it.each([
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"',
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.example/token",
          service: "registry.example",
          scope: "repository:app:pull",
        },
      },
    ],
    ['Basic realm="regsweep-test"', { scheme: "basic", params: { realm: "regsweep-test" } }],
    [
      'Bearer realm="https://a/t", scope="repository:x:pull,push" , error="insufficient_scope"',
      {
        scheme: "bearer",
        params: { realm: "https://a/t", scope: "repository:x:pull,push", error: "insufficient_scope" },
      },
    ],
    ["basic realm=unquoted", { scheme: "basic", params: { realm: "unquoted" } }],
  ])("%s", (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe("dockerConfigCredentials", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const configDir = async (config: unknown) => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-docker-config-"));
    dirs.push(dir);
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    return dir;
  };

  it("reads base64 auths entries under the host, with or without a scheme", async () => {
    const auth = Buffer.from("dave:pa:ss").toString("base64");
    const dir = await configDir({ auths: { "https://reg.example:5000": { auth } } });
    expect(await dockerConfigCredentials("reg.example:5000", { DOCKER_CONFIG: dir })).toEqual({
      username: "dave",
      password: "pa:ss",
    });
    expect(await dockerConfigCredentials("other:5000", { DOCKER_CONFIG: dir })).toBeUndefined();
  });

  it("asks a credHelpers helper with the server on stdin, never on its command line", async () => {
    const dir = await configDir({ credHelpers: { "reg.example": "regsweeptest" }, credsStore: "absent" });
    // The helper answers only when stdin names the server and no argument but `get` was given.
    await writeFile(
      join(dir, "docker-credential-regsweeptest"),
      '#!/bin/sh\n[ "$#" = 1 ] && [ "$1" = get ] || exit 3\nread server\n[ "$server" = reg.example ] || exit 4\necho \'{"ServerURL":"reg.example","Username":"erin","Secret":"from-helper"}\'\n',
    );
    await chmod(join(dir, "docker-credential-regsweeptest"), 0o755);
    const env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
    expect(await dockerConfigCredentials("reg.example", env)).toEqual({
      username: "erin",
      password: "from-helper",
    });
    // credsStore for everything else; a helper that cannot be run is an auth error, not a crash.
    await expect(dockerConfigCredentials("elsewhere", env)).rejects.toBeInstanceOf(RegistryAuthError);
  });

  it("no config file means anonymous", async () => {
    expect(
      await dockerConfigCredentials("x", { DOCKER_CONFIG: join(tmpdir(), "regsweep-no-such-dir") }),
    ).toBeUndefined();
  });

  it("basic authorization is base64 user:password", () => {
    expect(basicAuthorization({ username: "a", password: "b" })).toBe("Basic YTpi");
  });
});
