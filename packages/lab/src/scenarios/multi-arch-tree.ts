import { image, index, layer, type PushTarget, pushManifest, type TestManifest } from "@regsweep/testbed";

/** A pushed multi-arch repository: a tagged index with two untagged children, and an untagged orphan image. */
export interface MultiArchTree {
  repository: string;
  tag: string;
  index: TestManifest;
  children: readonly TestManifest[];
  orphan: TestManifest;
}

/**
 * Pushes `repository:tag` as an index (Docker manifest list or OCI index) over amd64 and arm64 images that
 * share a layer, the children by digest only, plus an untagged image that a delete-untagged cleanup must remove.
 */
export async function pushMultiArchTree(
  target: PushTarget,
  repository: string,
  format: "docker" | "oci",
  tag = "1",
): Promise<MultiArchTree> {
  const shared = layer(`regsweep lab shared ${format} layer`, format);
  const amd64 = image({ layers: [shared, layer(`${format} amd64`, format)], format });
  const arm64 = image({
    layers: [shared, layer(`${format} arm64`, format)],
    format,
    platform: { os: "linux", architecture: "arm64" },
  });
  const top = index([amd64, arm64], format);
  await pushManifest(target, repository, top, tag);
  const orphan = image({ layers: [layer(`${format} orphan`, format)], format });
  await pushManifest(target, repository, orphan);
  return { repository, tag, index: top, children: [amd64, arm64], orphan };
}

/** One log line naming every digest of the tree (for a failing cell's log). */
export function describeTree(tree: MultiArchTree): string {
  return `${tree.repository}:${tree.tag} = ${tree.index.digest}, children ${tree.children
    .map((c) => c.digest)
    .join(" ")}, orphan ${tree.orphan.digest}`;
}
