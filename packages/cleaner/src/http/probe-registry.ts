import { RegistryDeleteDisabledError } from "./http-errors.js";
import type { RegistryClient } from "./registry-client.js";

/** How one tag can be deleted alone through the API, without touching the tags that share its digest. */
export type TagOnlyDelete =
  /** DELETE /manifests/<tag> (distribution 3.x). */
  | "tag-delete"
  /** Point the tag at a placeholder manifest, then DELETE that by digest (2.3–2.8, see `placeholder.ts`). */
  | "placeholder"
  /** Not at all: a digest DELETE leaves tags dangling (2.2), or deletes are refused. */
  | "none";

/** What a registry allows, learnt by harmless requests (never by deleting anything real). */
export interface RegistryCapabilities {
  /** `Docker-Distribution-API-Version` said `registry/2.0`. */
  apiVersion: string | undefined;
  /** Manifest DELETE is enabled (`storage.delete.enabled`). */
  deleteEnabled: boolean;
  /** DELETE /manifests/<tag> removes just that tag (distribution 3.x). */
  tagDelete: boolean;
  /**
   * DELETE /manifests/<tag> answered 405 UNSUPPORTED: deletes are disabled and the registry refuses tag deletes
   * too (2.x, and 3.1.1+, which checks `storage.delete.enabled` before deleting a tag; 3.0 did not).
   */
  tagDeleteRefused: boolean;
  /** HEAD on manifests answers (2.3+); 2.2 says 405, so digests come from GET. */
  headManifest: boolean;
  /** DELETE by digest also removes the tags on that digest (2.3+); on 2.2 they dangle until an offline delete. */
  untagsOnDigestDelete: boolean;
  /** The manifest type a placeholder is pushed as, where the placeholder method works (schema2: 2.3+). */
  placeholder: "schema2" | undefined;
  /** How this registry deletes one tag alone. */
  tagOnlyDelete: TagOnlyDelete;
}

const ZERO_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * What the answers to the probes say about a registry, as data. Sources: distribution's
 * `registry/handlers/images.go` (2.x) and `manifests.go` (3.x) at each release tag, summarised in
 * shared/notes/registry-versions.md. A HEAD of a missing manifest is 405 only on 2.2 (no HEAD route), which
 * also is the one version that neither untags on a digest DELETE nor accepts schema2; 2.3+ do both.
 */
export function capabilitiesFrom(answers: {
  apiVersion: string | undefined;
  digestDelete: "enabled" | "disabled";
  tagDeleteStatus: number;
  headStatus: number;
}): RegistryCapabilities {
  const deleteEnabled = answers.digestDelete === "enabled";
  const tagDelete = answers.tagDeleteStatus === 404 || answers.tagDeleteStatus === 202;
  const headManifest = answers.headStatus !== 405;
  const placeholder = headManifest && !tagDelete ? "schema2" : undefined;
  const tagOnlyDelete: TagOnlyDelete = tagDelete
    ? "tag-delete"
    : deleteEnabled && placeholder
      ? "placeholder"
      : "none";
  return {
    apiVersion: answers.apiVersion,
    deleteEnabled,
    tagDelete,
    tagDeleteRefused: answers.tagDeleteStatus === 405,
    headManifest,
    untagsOnDigestDelete: headManifest,
    placeholder,
    tagOnlyDelete,
  };
}

/**
 * Probes a repository with requests for things that do not exist: a DELETE of a digest of zeros answers 405
 * UNSUPPORTED when deletes are disabled and 404 when enabled; a DELETE of a made-up tag answers 404 on
 * registries that delete tags (3.x), 400 DIGEST_INVALID on 2.x (every DELETE reference read as a digest) and
 * 405 where deletes are disabled and tag deletes refused with them (2.x, 3.1.1+); a HEAD of the zero digest
 * answers 404, or 405 on 2.2.
 */
export async function probeRegistry(
  client: RegistryClient,
  repository: string,
): Promise<RegistryCapabilities> {
  const scope = `repository:${repository}:delete`;
  const root = await client.request("GET", "/v2/");
  const apiVersion = root.headers["docker-distribution-api-version"] as string | undefined;
  let digestDelete: "enabled" | "disabled" = "enabled";
  try {
    await client.request("DELETE", `/v2/${repository}/manifests/${ZERO_DIGEST}`, {
      scope,
      expect: [404, 400],
    });
  } catch (error) {
    if (!(error instanceof RegistryDeleteDisabledError)) throw error;
    digestDelete = "disabled";
  }
  const tag = await client.request("DELETE", `/v2/${repository}/manifests/regsweep-probe-nonexistent-tag`, {
    scope,
    expect: [400, 404, 405],
  });
  const head = await client.request("HEAD", `/v2/${repository}/manifests/${ZERO_DIGEST}`, {
    scope: `repository:${repository}:pull`,
    expect: [404, 405],
  });
  return capabilitiesFrom({ apiVersion, digestDelete, tagDeleteStatus: tag.status, headStatus: head.status });
}

/** The probe's findings in one line for an operator: what deletes work here and how one tag goes alone. */
export function describeCapabilities(caps: RegistryCapabilities): string {
  const deletes = caps.deleteEnabled
    ? "deletes enabled"
    : "deletes disabled (storage.delete.enabled is false)";
  const tags =
    caps.tagOnlyDelete === "tag-delete"
      ? "a tag is deleted alone by DELETE /manifests/<tag>"
      : caps.tagOnlyDelete === "placeholder"
        ? "this registry deletes tags only by digest: a tag is deleted alone by pointing it at a placeholder manifest, then deleting that"
        : caps.tagDeleteRefused
          ? "tag DELETE refused too (405 UNSUPPORTED: 2.x, and 3.1.1+ with deletes disabled)"
          : !caps.untagsOnDigestDelete
            ? "registry 2.2: a digest DELETE leaves its tags dangling (GET 404) until an offline delete, and no tag can be deleted alone"
            : "no tag can be deleted alone here";
  return `registry ${caps.apiVersion ?? "(no API version header)"}: ${deletes}; ${tags}`;
}
