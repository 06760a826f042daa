import {
  type ImageSpec,
  image,
  layer,
  type ManifestKind,
  signedSchema1,
  type TestBlob,
  type TestManifest,
} from "@regsweep/testbed";
import { bestImageKind, type ImageKind } from "./fixture-mode.js";

/** What picks a scenario's image kind: the cell's kinds (`ScenarioContext.kinds`). */
export interface KindsOf {
  readonly kinds: readonly ManifestKind[];
}

/** The cell's best image kind; throws when it has none (the cell should have been skipped). */
export function cellImageKind(ctx: KindsOf): ImageKind {
  const kind = bestImageKind(ctx.kinds);
  if (!kind) throw new Error(`no image manifest kind among ${ctx.kinds.join(", ")}`);
  return kind;
}

/** A gzip layer in the media type of the cell's image kind (OCI or Docker; schema1 names layers by digest only). */
export function cellLayer(ctx: KindsOf, content: string): TestBlob {
  return layer(content, cellImageKind(ctx) === "oci-manifest" ? "oci" : "docker");
}

/**
 * One image pushed to several places: the same manifest (same digest) everywhere for OCI and schema2; for
 * schema1 a manifest signed for each `repository:tag` over the same layers (each with its own digest).
 */
export function imageEverywhere(
  ctx: KindsOf,
  spec: Omit<ImageSpec, "format">,
): (repository: string, tag: string) => TestManifest {
  if (cellImageKind(ctx) !== "schema1") {
    const same = cellImage(ctx, spec, "", "");
    return () => same;
  }
  const made = new Map<string, TestManifest>();
  return (repository, tag) => {
    const key = `${repository}:${tag}`;
    const m = made.get(key) ?? cellImage(ctx, spec, repository, tag);
    made.set(key, m);
    return m;
  };
}

/**
 * An image manifest in the cell's best kind: OCI, Docker schema2, or signed schema1. A schema1 manifest
 * names its repository and tag (2.2 refuses it under any other), so it is made for one `repository:tag`
 * and the same layers pushed elsewhere make another manifest, with another digest.
 */
export function cellImage(
  ctx: KindsOf,
  spec: Omit<ImageSpec, "format">,
  repository: string,
  tag: string,
): TestManifest {
  const kind = cellImageKind(ctx);
  if (kind === "schema1") {
    if (spec.subject) throw new Error("schema1 has no subject: use a sha256-<hex>.sig tag");
    return signedSchema1({
      name: repository,
      tag,
      layers: spec.layers,
      ...(spec.platform ? { architecture: spec.platform.architecture } : {}),
      ...(spec.created !== undefined ? { created: spec.created } : {}),
    });
  }
  return image({ ...spec, format: kind === "oci-manifest" ? "oci" : "docker" });
}
