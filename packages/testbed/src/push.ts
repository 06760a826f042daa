import type { TestBlob, TestManifest } from "./test-images.js";

/** Registry address and optional basic credentials for the test client. */
export interface PushTarget {
  url: string;
  auth?: { username: string; password: string };
}

function headers(target: PushTarget, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (target.auth) {
    h.Authorization = `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`).toString("base64")}`;
  }
  return h;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.status >= 200 && res.status < 300) return;
  throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

/** Uploads a blob through the real upload protocol (POST, then a monolithic PUT), skipping ones present. */
export async function pushBlob(target: PushTarget, repository: string, blob: TestBlob): Promise<void> {
  const head = await fetch(`${target.url}/v2/${repository}/blobs/${blob.digest}`, {
    method: "HEAD",
    headers: headers(target),
  });
  if (head.status === 200) return;
  const start = await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, {
    method: "POST",
    headers: headers(target),
  });
  await expectOk(start, `start upload of ${blob.digest} to ${repository}`);
  const location = start.headers.get("location");
  if (!location) throw new Error("upload start without Location");
  const uploadUrl = new URL(location, target.url);
  uploadUrl.searchParams.set("digest", blob.digest);
  const put = await fetch(uploadUrl, {
    method: "PUT",
    // 2.2 loses a form-typed body; octet-stream works everywhere.
    headers: headers(target, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(blob.size),
    }),
    body: blob.bytes,
  });
  await expectOk(put, `upload ${blob.digest} to ${repository}`);
}

/**
 * Pushes a manifest with everything it needs (blobs, and for an index its children by digest) and
 * tags it when `tag` is given; otherwise it is pushed by digest only (untagged).
 */
export async function pushManifest(
  target: PushTarget,
  repository: string,
  manifest: TestManifest,
  tag?: string,
): Promise<string> {
  for (const child of manifest.children) await pushManifest(target, repository, child);
  for (const blob of manifest.blobs) await pushBlob(target, repository, blob);
  const res = await fetch(`${target.url}/v2/${repository}/manifests/${tag ?? manifest.digest}`, {
    method: "PUT",
    headers: headers(target, { "Content-Type": manifest.mediaType }),
    body: manifest.bytes,
  });
  await expectOk(res, `push manifest ${repository}:${tag ?? manifest.digest}`);
  return manifest.digest;
}
