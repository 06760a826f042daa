/**
 * Registry authentication: `WWW-Authenticate` challenge parsing, Basic credentials, and credentials from the
 * Docker config file (`auths`, `credHelpers`, `credsStore`). Bearer tokens are fetched by the client
 * (`registry-client.ts`) because they need its TLS and retry plumbing. Secrets never reach a command line:
 * credential helpers get the server on stdin and answer on stdout.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { RegistryAuthError } from "./http-errors.js";

/** A username and password (or identity token) for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** One parsed `WWW-Authenticate` challenge, e.g. `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235 auth-params, quoted or not). Only the first challenge is
 * returned: distribution sends one.
 */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
  for (const m of (match[2] ?? "").matchAll(re)) {
    params[(m[1] as string).toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "");
  }
  return { scheme, params };
}

/** The `Authorization` value for Basic credentials. */
export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys a Docker config may file a registry under (`host:port`, with or without scheme). */
function configKeys(host: string): string[] {
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

/** Runs `docker-credential-<helper> get` with the server on stdin; the secret comes back on stdout only. */
export async function runCredentialHelper(
  helper: string,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  if (!/^[\w.-]+$/.test(helper)) throw new RegistryAuthError(`invalid credential helper name '${helper}'`);
  const child = spawn(`docker-credential-${helper}`, ["get"], { stdio: ["pipe", "pipe", "pipe"], env });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
  child.stdin.end(server);
  let code: number;
  try {
    code = await exit;
  } catch (error) {
    throw new RegistryAuthError(`cannot run credential helper docker-credential-${helper}`, { cause: error });
  }
  if (code !== 0) {
    // "credentials not found" is not an error: the registry may be anonymous.
    if (/not found/i.test(out + err)) return undefined;
    throw new RegistryAuthError(`credential helper docker-credential-${helper} failed (exit ${code})`);
  }
  try {
    const doc = JSON.parse(out) as { Username?: string; Secret?: string };
    if (!doc.Secret) return undefined;
    return { username: doc.Username ?? "", password: doc.Secret };
  } catch {
    throw new RegistryAuthError(`credential helper docker-credential-${helper} answered something not JSON`);
  }
}

/**
 * Credentials for `host` (`host:port`) from a Docker config file (default `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`): a `credHelpers` entry, else `auths` (`auth` = base64 user:pass), else `credsStore`.
 */
export async function dockerConfigCredentials(
  host: string,
  env: NodeJS.ProcessEnv = process.env,
  configPath?: string,
): Promise<Credentials | undefined> {
  const path = configPath ?? join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), ".docker"), "config.json");
  let doc: DockerConfig;
  try {
    doc = JSON.parse(await readFile(path, "utf8")) as DockerConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RegistryAuthError(`cannot read the Docker config ${path}`, { cause: error });
  }
  const helper = configKeys(host)
    .map((k) => doc.credHelpers?.[k])
    .find(Boolean);
  if (helper) return runCredentialHelper(helper, host, env);
  for (const key of configKeys(host)) {
    const entry = doc.auths?.[key];
    if (!entry) continue;
    if (entry.auth) {
      const text = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = text.indexOf(":");
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.identitytoken) return { username: "<token>", password: entry.identitytoken };
  }
  if (doc.credsStore) return runCredentialHelper(doc.credsStore, host, env);
  return undefined;
}
