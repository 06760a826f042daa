import { findRegistryVersion, startRegistryProcess } from "@regsweep/testbed";
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
 * the build) and re-tagged and pushed to each scenario's registry: building is the slow part.
 */
export class FixtureSet {
  private readonly tagged = new Set<string>();

  private constructor(
    private readonly docker: Docker,
    readonly fixtures: readonly Fixture[],
    /** Local reference of each built fixture, by context. */
    private readonly built: ReadonlyMap<string, string>,
  ) {}

  /** Builds every fixture in order against a scratch registry of `version`, which is then stopped. */
  static async build(docker: Docker, version: string): Promise<FixtureSet> {
    findRegistryVersion(version);
    const fixtures = await readFixtures();
    const registry = await startRegistryProcess({ version });
    const built = new Map<string, string>();
    try {
      for (const fixture of fixtures) {
        const pushed = await buildAndPushFixture(docker, fixture, registry.host);
        built.set(fixture.context, pushed.reference);
      }
    } finally {
      await registry.stop({ removeStorage: true });
    }
    return new FixtureSet(docker, fixtures, built);
  }

  /**
   * Tags the fixture built from `context` as `host/name` (default: the fixture's own `image:tag`) and
   * pushes it; returns the stored digest.
   */
  async push(host: string, context: string, name?: string): Promise<PushedImage> {
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

function withTag(name: string): string {
  return name.lastIndexOf(":") > name.lastIndexOf("/") ? name : `${name}:latest`;
}
