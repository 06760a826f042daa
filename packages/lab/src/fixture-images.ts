import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "@regsweep/testbed";
import type Docker from "dockerode";
import { pack } from "tar-fs";
import { readDockerStream } from "./docker-stream.js";
import { LabError } from "./lab-errors.js";

/** One fixture build context, as listed in `fixtures/fixtures.json`. */
export interface Fixture {
  /** The folder under `fixtures/` holding the Dockerfile. */
  context: string;
  /** Repository name in the registry, e.g. `test/a`. */
  image: string;
  tag: string;
  /** `busybox:latest` (local) or the `image:tag` of an earlier fixture, pulled from the registry. */
  base: string;
  /** The file the fixture adds (its content is the context name). */
  file: string;
}

/** The repository's `fixtures/` folder. */
export function fixturesDir(): string {
  return join(repoRoot(), "fixtures");
}

/** All fixtures in build order (a base comes before the images built on it). */
export async function readFixtures(dir = fixturesDir()): Promise<Fixture[]> {
  const data = JSON.parse(await readFile(join(dir, "fixtures.json"), "utf8")) as { fixtures: Fixture[] };
  return data.fixtures;
}

/** The fixture built from a context folder, e.g. `findFixture(fixtures, "a")`. */
export function findFixture(fixtures: readonly Fixture[], context: string): Fixture {
  const found = fixtures.find((f) => f.context === context);
  if (!found) throw new LabError("lab.fixture.unknown", `no fixture '${context}' in fixtures/fixtures.json`);
  return found;
}

/** The fixtures a context needs pushed first, itself last: `["a", "b"]` for `b`. */
export function fixtureChain(fixtures: readonly Fixture[], context: string): Fixture[] {
  const fixture = findFixture(fixtures, context);
  const base = fixtures.find((f) => `${f.image}:${f.tag}` === fixture.base);
  return base ? [...fixtureChain(fixtures, base.context), fixture] : [fixture];
}

/** The image reference a fixture gets for a registry: `<host>/<image>:<tag>`. */
export function fixtureReference(fixture: Fixture, registryHost: string): string {
  return `${registryHost}/${fixture.image}:${fixture.tag}`;
}

/** What to build: a context folder, the reference to tag the result with, and build arguments. */
export interface BuildRequest {
  contextDir: string;
  reference: string;
  buildArgs?: Record<string, string>;
}

/**
 * Builds an image from a context folder and tags it; throws `DockerStreamError` when the build fails.
 * Builds run without network (bases must exist locally or in a 127.0.0.1 registry) and always remove
 * their intermediate containers.
 */
export async function buildImage(docker: Docker, request: BuildRequest): Promise<void> {
  // tar-fs returns a Node stream; dockerode's types want the older NodeJS.ReadableStream shape.
  const context = pack(request.contextDir) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: request.reference,
    networkmode: "none",
    forcerm: true,
    buildargs: request.buildArgs ?? {},
  });
  await readDockerStream(stream, "build", `build ${request.reference}`);
}

/** Pushes a tagged image and returns the manifest digest the registry stored (the push stream's aux.Digest). */
export async function pushImage(docker: Docker, reference: string): Promise<string> {
  const at = reference.lastIndexOf(":");
  const [repository, tag] =
    at > reference.lastIndexOf("/")
      ? [reference.slice(0, at), reference.slice(at + 1)]
      : [reference, "latest"];
  // An empty auth header: without X-Registry-Auth the engine reads auth from the (empty) body and fails.
  const stream = await docker.getImage(repository).push({ tag }, undefined, {});
  const messages = await readDockerStream(stream, "push", `push ${reference}`);
  const digest = messages.find((m) => m.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new LabError("lab.docker.push-no-digest", `push ${reference} reported no digest`);
  return digest;
}

/** A fixture built, tagged for a registry and pushed to it. */
export interface PushedFixture {
  fixture: Fixture;
  reference: string;
  digest: string;
}

/**
 * Builds a fixture for a registry and pushes it; its base, if another fixture, must have been pushed to the
 * same registry first (see `fixtureChain`).
 */
export async function buildAndPushFixture(
  docker: Docker,
  fixture: Fixture,
  registryHost: string,
  dir = fixturesDir(),
): Promise<PushedFixture> {
  const reference = fixtureReference(fixture, registryHost);
  await buildImage(docker, {
    contextDir: join(dir, fixture.context),
    reference,
    buildArgs: { REGISTRY: registryHost },
  });
  return { fixture, reference, digest: await pushImage(docker, reference) };
}

/** Removes local images by reference, ignoring those already gone (test cleanup). */
export async function removeImages(docker: Docker, references: readonly string[]): Promise<void> {
  for (const reference of references) {
    await docker
      .getImage(reference)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
}
