import { findRegistryVersion, skopeoPull, startRegistryProcess } from "@regsweep/testbed";
import type Docker from "dockerode";
import {
  buildAndPushFixture,
  type Fixture,
  fixtureReference,
  readFixtures,
  removeImages,
} from "./fixture-images.js";
import { RegistryContainer } from "./registry-container.js";

/** How the matrix runs registries: cached binaries as processes, or images in containers. */
export type MatrixRuntime = "process" | "container";

/** What to run: versions from the testbed's table, a runtime, and where container images come from. */
export interface MatrixOptions {
  versions: readonly string[];
  runtime: MatrixRuntime;
  /** Use the official `registry:<version>` images (needs Docker Hub) instead of the local `regsweep/registry`. */
  pullOfficial: boolean;
}

/** The outcome for one fixture on one version: pushed and pulled back with the pushed digest, or not. */
export interface FixtureResult {
  fixture: string;
  reference: string;
  expected: "pullable" | "rejected";
  actual: "pullable" | "rejected";
  digest?: string;
  detail?: string;
}

/** One version's results; `error` when the registry itself could not be started. */
export interface VersionResult {
  version: string;
  fixtures: FixtureResult[];
  error?: string;
}

/** The matrix report: plain data, printed by the CLI and saved as JSON. */
export interface MatrixReport {
  runtime: MatrixRuntime;
  pullOfficial: boolean;
  versions: VersionResult[];
  /** True when every fixture behaved as its version's table entry predicts. */
  ok: boolean;
}

interface RunningRegistry {
  host: string;
  stop(): Promise<unknown>;
}

async function startRegistry(version: string, options: MatrixOptions): Promise<RunningRegistry> {
  if (options.runtime === "process") return startRegistryProcess({ version });
  const container = options.pullOfficial
    ? RegistryContainer.official(version)
    : new RegistryContainer(version);
  return container.start();
}

/**
 * Pushes every fixture (in chain order) to a registry of each version and pulls each back with skopeo.
 * Docker pushes schema2, so a version that accepts only schema1 (2.2) is expected to reject them: the
 * expectation comes from the version table, not from `if` branches here.
 */
export async function runMatrix(docker: Docker, options: MatrixOptions): Promise<MatrixReport> {
  const fixtures = await readFixtures();
  const versions: VersionResult[] = [];
  for (const version of options.versions) {
    const expected = findRegistryVersion(version).accepts.includes("schema2") ? "pullable" : "rejected";
    let registry: RunningRegistry;
    try {
      registry = await startRegistry(version, options);
    } catch (error) {
      versions.push({ version, fixtures: [], error: (error as Error).message });
      continue;
    }
    const results: FixtureResult[] = [];
    try {
      for (const fixture of fixtures) {
        results.push({ ...(await tryFixture(docker, fixture, registry.host)), expected });
      }
    } finally {
      await registry.stop();
      await removeImages(
        docker,
        results.map((r) => r.reference),
      );
    }
    versions.push({ version, fixtures: results });
  }
  const ok = versions.every((v) => !v.error && v.fixtures.every((f) => f.actual === f.expected));
  return { runtime: options.runtime, pullOfficial: options.pullOfficial, versions, ok };
}

async function tryFixture(
  docker: Docker,
  fixture: Fixture,
  host: string,
): Promise<Omit<FixtureResult, "expected">> {
  const reference = fixtureReference(fixture, host);
  try {
    const pushed = await buildAndPushFixture(docker, fixture, host);
    const pulled = await skopeoPull(host, `${fixture.image}:${fixture.tag}`);
    if (!pulled.ok || pulled.digest !== pushed.digest) {
      return {
        fixture: fixture.context,
        reference,
        actual: "rejected",
        detail: pulled.error ?? `pulled ${pulled.digest}, pushed ${pushed.digest}`,
      };
    }
    return { fixture: fixture.context, reference, actual: "pullable", digest: pushed.digest };
  } catch (error) {
    return { fixture: fixture.context, reference, actual: "rejected", detail: (error as Error).message };
  }
}
