import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { verifySchema1 } from "./schema1.js";

const run = promisify(execFile);

/** The result of pulling a reference with skopeo, which fetches and digest-checks every blob. */
export interface PullResult {
  ok: boolean;
  /**
   * The manifest's digest (when ok): sha256 of the bytes served, or for a signed schema1 manifest of its
   * verified payload (what the registry digests; 2.5+ re-sign on every GET, so the bytes change).
   */
  digest?: string;
  /** skopeo's error text when the pull failed. */
  error?: string;
}

/**
 * Pulls `host/repository:tag` (or `@digest`) with skopeo into a temp dir, every platform of an index
 * included, and throws away the copy. A `docker pull` would prove nothing: the daemon reuses layers.
 */
export async function skopeoPull(host: string, reference: string): Promise<PullResult> {
  const out = await mkdtemp(join(tmpdir(), "regsweep-pull-"));
  const src = `docker://${host}/${reference}`;
  try {
    const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", src], {
      encoding: "buffer",
      maxBuffer: 64 << 20,
    });
    await run("skopeo", ["copy", "--all", "--src-tls-verify=false", src, `dir:${out}`], {
      maxBuffer: 64 << 20,
    });
    return { ok: true, digest: manifestDigest(raw.stdout) };
  } catch (error) {
    const e = error as { stderr?: Buffer | string; message: string };
    return { ok: false, error: (e.stderr?.toString() || e.message).trim() };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function manifestDigest(bytes: Buffer): string {
  let signed = false;
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { schemaVersion?: number; signatures?: unknown };
    signed = doc.schemaVersion === 1 && Array.isArray(doc.signatures);
  } catch {
    // Not JSON: digest the bytes as they are.
  }
  const digested = signed ? verifySchema1(bytes).payload : bytes;
  return `sha256:${createHash("sha256").update(digested).digest("hex")}`;
}

/** Pulls and throws unless the pull worked (and, when given, served the expected digest). */
export async function expectPullable(host: string, reference: string, digest?: string): Promise<void> {
  const result = await skopeoPull(host, reference);
  if (!result.ok) throw new Error(`expected ${host}/${reference} to pull, skopeo said: ${result.error}`);
  if (digest && result.digest !== digest) {
    throw new Error(`${host}/${reference} served ${result.digest}, expected ${digest}`);
  }
}

/** Pulls and throws if the pull worked. */
export async function expectNotPullable(host: string, reference: string): Promise<void> {
  const result = await skopeoPull(host, reference);
  if (result.ok)
    throw new Error(`expected ${host}/${reference} to be gone, but it pulled (${result.digest})`);
}

/** Runs `skopeo copy` between any two transports (e.g. an OCI layout made in a test to a registry). */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  await run("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", ...extra, src, dest], {
    maxBuffer: 64 << 20,
  });
}
