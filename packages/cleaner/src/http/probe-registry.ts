import { RegistryDeleteDisabledError } from "./http-errors.js";
import type { RegistryClient } from "./registry-client.js";

/** What a registry allows, learnt by harmless requests (never by deleting anything real). */
export interface RegistryCapabilities {
  /** `Docker-Distribution-API-Version` said `registry/2.0`. */
  apiVersion: string | undefined;
  /** Manifest DELETE is enabled (`storage.delete.enabled`). */
  deleteEnabled: boolean;
  /** DELETE /manifests/<tag> removes just that tag (distribution 3.x). */
  tagDelete: boolean;
}

const ZERO_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * Probes a repository with DELETEs of things that do not exist: a digest of zeros answers 405 UNSUPPORTED when
 * deletes are disabled and 404 when enabled; a made-up tag answers 404 on registries that delete tags (3.x)
 * and 400 DIGEST_INVALID on 2.x, which read every DELETE reference as a digest.
 */
export async function probeRegistry(
  client: RegistryClient,
  repository: string,
): Promise<RegistryCapabilities> {
  const scope = `repository:${repository}:delete`;
  const root = await client.request("GET", "/v2/");
  const apiVersion = root.headers["docker-distribution-api-version"] as string | undefined;
  let deleteEnabled = true;
  try {
    await client.request("DELETE", `/v2/${repository}/manifests/${ZERO_DIGEST}`, {
      scope,
      expect: [404, 400],
    });
  } catch (error) {
    if (!(error instanceof RegistryDeleteDisabledError)) throw error;
    deleteEnabled = false;
  }
  const tag = await client.request("DELETE", `/v2/${repository}/manifests/regsweep-probe-nonexistent-tag`, {
    scope,
    expect: [400, 404, 405],
  });
  return { apiVersion, deleteEnabled, tagDelete: tag.status === 404 || tag.status === 202 };
}
