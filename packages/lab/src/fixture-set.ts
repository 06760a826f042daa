import {
  blobOf,
  findRegistryVersion,
  type ManifestKind,
  MediaTypes,
  pushBlob,
  type Schema1Manifest,
  signedSchema1,
  startRegistryProcess,
  type TestBlob,
} from "@regsweep/testbed";
import type Docker from "dockerode";
import {
  buildAndPushFixture,
  type Fixture,
  findFixture,
  fixtureReference,
  pushImage,
  readFixtures,
  removeImages,
} from "./fixture-images.js";

/** A fixture pushed to a scenario's registry under some reference. */
export interface PushedImage {
  /** `repository:tag` inside the registry. */
  name: string;
  /** The manifest digest the registry stored. */
  digest: string;
}

/**
 * The fixture images a–e, built once per matrix run (bases come from a scratch registry used only for
 * the build) and re-tagged and pushed to each scenario's registry: building is the slow part. Where a cell
 * takes schema2, the Docker engine pushes them (as users do); where it takes only schema1 (2.2, or the
 * schema1 fixture mode), the same layers go up under a signed schema1 manifest, as a Docker 1.x engine pushed
 * them: signed for the repository and tag it is pushed to (2.2 checks both against the URL).
 */
export class FixtureSet {
  private readonly tagged = new Set<string>();
  /** Signed schema1 manifests by context, repository and tag: a re-push sends the same payload (same digest). */
  private readonly signed = new Map<string, Schema1Manifest>();

  private constructor(
    private readonly docker: Docker,
    readonly fixtures: readonly Fixture[],
    /** Local reference of each built fixture, by context. */
    private readonly built: ReadonlyMap<string, string>,
    /** The layers of each built fixture, bottom first, read back from the scratch registry. */
    private readonly layers: ReadonlyMap<string, readonly TestBlob[]>,
  ) {}

  /** Builds every fixture in order against a scratch registry of `version`, which is then stopped. */
  static async build(docker: Docker, version: string): Promise<FixtureSet> {
    findRegistryVersion(version);
    const fixtures = await readFixtures();
    const registry = await startRegistryProcess({ version });
    const built = new Map<string, string>();
    const layers = new Map<string, TestBlob[]>();
    try {
      for (const fixture of fixtures) {
        const pushed = await buildAndPushFixture(docker, fixture, registry.host);
        built.set(fixture.context, pushed.reference);
        layers.set(fixture.context, await readLayers(registry.url, fixture.image, pushed.digest));
      }
    } finally {
      await registry.stop({ removeStorage: true });
    }
    return new FixtureSet(docker, fixtures, built, layers);
  }

  /**
   * Pushes the fixture built from `context` as `host/name` (default: the fixture's own `image:tag`) in the
   * best kind of `kinds` (default: schema2 through the engine); returns the stored digest.
   */
  async push(
    host: string,
    context: string,
    name?: string,
    kinds: readonly ManifestKind[] = ["schema2"],
  ): Promise<PushedImage> {
    if (!kinds.includes("schema2") && kinds.includes("schema1"))
      return this.pushSchema1(host, context, withTag(name ?? fixtureName(this.fixtures, context)));
    const fixture = findFixture(this.fixtures, context);
    const source = this.built.get(context);
    if (!source) throw new Error(`fixture '${context}' was not built`);
    const target = name ?? `${fixture.image}:${fixture.tag}`;
    const reference = name ? `${host}/${withTag(target)}` : fixtureReference(fixture, host);
    const at = reference.lastIndexOf(":");
    await this.docker.getImage(source).tag({ repo: reference.slice(0, at), tag: reference.slice(at + 1) });
    this.tagged.add(reference);
    const digest = await pushImage(this.docker, reference);
    // The engine also records `repository@digest`; it outlives the tag when a later push re-tags it.
    this.tagged.add(`${reference.slice(0, at)}@${digest}`);
    return { name: withTag(target), digest };
  }

  private async pushSchema1(host: string, context: string, target: string): Promise<PushedImage> {
    const layers = this.layers.get(context);
    if (!layers) throw new Error(`fixture '${context}' was not built`);
    const at = target.lastIndexOf(":");
    const [repository, tag] = [target.slice(0, at), target.slice(at + 1)];
    const key = `${context} ${target}`;
    const manifest = this.signed.get(key) ?? signedSchema1({ name: repository, tag, layers: [...layers] });
    this.signed.set(key, manifest);
    const url = `http://${host}`;
    for (const blob of layers) await pushBlob({ url }, repository, blob);
    const res = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
      method: "PUT",
      headers: { "Content-Type": manifest.mediaType },
      body: manifest.bytes,
    });
    if (res.status !== 201)
      throw new Error(`schema1 PUT ${target} (fixture ${context}): HTTP ${res.status} ${await res.text()}`);
    return { name: target, digest: manifest.digest };
  }

  /** Removes the per-registry tags made by `push` (the built images stay). */
  async untagPushed(): Promise<void> {
    const refs = [...this.tagged];
    this.tagged.clear();
    await removeImages(this.docker, refs);
  }

  /** Removes everything: per-registry tags and the built images. */
  async dispose(): Promise<void> {
    await this.untagPushed();
    await removeImages(this.docker, [...this.built.values()]);
  }
}

function fixtureName(fixtures: readonly Fixture[], context: string): string {
  const fixture = findFixture(fixtures, context);
  return `${fixture.image}:${fixture.tag}`;
}

/** The layers (bottom first) of a schema2 image the engine pushed, fetched by its digest. */
async function readLayers(url: string, repository: string, digest: string): Promise<TestBlob[]> {
  const res = await fetch(`${url}/v2/${repository}/manifests/${digest}`, {
    headers: { Accept: MediaTypes.dockerManifest },
  });
  if (!res.ok) throw new Error(`read back ${repository}@${digest}: HTTP ${res.status}`);
  const manifest = (await res.json()) as { layers: { digest: string; mediaType: string }[] };
  const layers: TestBlob[] = [];
  for (const l of manifest.layers) {
    const blob = await fetch(`${url}/v2/${repository}/blobs/${l.digest}`);
    if (!blob.ok) throw new Error(`read back blob ${l.digest} of ${repository}: HTTP ${blob.status}`);
    const read = blobOf(Buffer.from(await blob.arrayBuffer()), l.mediaType);
    if (read.digest !== l.digest)
      throw new Error(`blob ${l.digest} of ${repository} read back as ${read.digest}`);
    layers.push(read);
  }
  return layers;
}

function withTag(name: string): string {
  return name.lastIndexOf(":") > name.lastIndexOf("/") ? name : `${name}:latest`;
}
