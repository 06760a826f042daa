import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findRegistryVersion,
  freePort,
  type RegistryVersion,
  registryConfigYaml,
  trackContainer,
} from "@regsweep/testbed";
import {
  AbstractStartedContainer,
  GenericContainer,
  type StartedTestContainer,
  type StoppedTestContainer,
  Wait,
} from "testcontainers";
import { dockerClient } from "./docker-client.js";
import { LabError } from "./lab-errors.js";

// Paths inside the container. The config is a file we write (the image has none); the storage tree is
// bind-mounted so tests can read and change it on the host.
const CONFIG_DIR = "/etc/regsweep";
const CONFIG_FILE = `${CONFIG_DIR}/config.yml`;
const STORAGE_DIR = "/var/lib/registry";

/** The image `scripts/setup.sh` builds for a version from the Debian binary: `regsweep/registry:<version>`. */
export function localRegistryImage(version: string): string {
  return `regsweep/registry:${version}`;
}

/**
 * A real `distribution` registry of one version in a container, on a 127.0.0.1 port of the host.
 *
 * Host networking, because the lab's engine has no bridge (and 172.x is off limits): the port is chosen
 * here, and readiness is the registry's own "listening on" log line. `withExposedPorts`, `getMappedPort`
 * and `Wait.forHttp` do not work in host mode.
 */
export class RegistryContainer extends GenericContainer {
  private readonly registryVersion: RegistryVersion;
  private readonly localImage: boolean;
  private port?: number;
  private storageRoot?: string;
  private deleteEnabled = true;

  /** A registry of `version` (an entry of the testbed's version table) from the local image, or `image`. */
  constructor(version: string, image?: string) {
    super(image ?? localRegistryImage(version));
    this.registryVersion = findRegistryVersion(version);
    this.localImage = image === undefined;
  }

  /** A registry from the official Docker Hub image (`registry:<version>`), for machines that can pull. */
  static official(version: string): RegistryContainer {
    return new RegistryContainer(version, findRegistryVersion(version).officialImage);
  }

  /** Listen on this 127.0.0.1 port (default: a free one). */
  withPort(port: number): this {
    this.port = port;
    return this;
  }

  /** Keep the storage tree in this host folder (default: a temp dir removed on stop). */
  withStorageRoot(dir: string): this {
    this.storageRoot = dir;
    return this;
  }

  /** Allow manifest and blob DELETE (default: true, as a cleaner needs). */
  withDeleteEnabled(enabled: boolean): this {
    this.deleteEnabled = enabled;
    return this;
  }

  override async start(): Promise<StartedRegistryContainer> {
    if (this.localImage) await assertImageExists(this.imageName.string);
    const port = this.port ?? (await freePort());
    const workDir = await mkdtemp(join(tmpdir(), `regsweep-registry-${this.registryVersion.version}-`));
    const storageRoot = this.storageRoot ?? join(workDir, "data");
    await mkdir(storageRoot, { recursive: true });
    await mkdir(join(workDir, "config"));
    await writeFile(
      join(workDir, "config", "config.yml"),
      registryConfigYaml({ port, storageRoot: STORAGE_DIR, deleteEnabled: this.deleteEnabled }),
    );
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    if (uid !== undefined && gid !== undefined) {
      // Files the registry writes into the bind mount belong to the caller, so tests can remove them.
      this.withUser(`${uid}:${gid}`);
    }
    this.withNetworkMode("host")
      .withBindMounts([
        { source: join(workDir, "config"), target: CONFIG_DIR, mode: "ro" },
        { source: storageRoot, target: STORAGE_DIR, mode: "rw" },
      ])
      .withEnvironment({
        ...this.registryVersion.env,
        OTEL_TRACES_EXPORTER: "none",
        REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
        REGISTRY_STORAGE_DELETE_ENABLED: String(this.deleteEnabled),
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: STORAGE_DIR,
      })
      .withLabels({
        "org.regsweep.lab": "registry",
        "org.regsweep.registry-version": this.registryVersion.version,
      })
      // 2.2/2.3 take the config as their only argument, 2.4+ as `serve <config>` (official images too:
      // their entrypoint passes `serve ...` on to the binary).
      .withCommand(this.registryVersion.cliForm === "serve" ? ["serve", CONFIG_FILE] : [CONFIG_FILE])
      .withWaitStrategy(Wait.forLogMessage(new RegExp(`listening on 127\\.0\\.0\\.1:${port}\\b`)))
      .withStartupTimeout(60_000);
    let started: StartedTestContainer;
    try {
      started = await super.start();
      trackContainer(started.getId(), { kind: "registry" });
    } catch (error) {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    return new StartedRegistryContainer(started, {
      version: this.registryVersion,
      port,
      storageRoot,
      workDir,
    });
  }
}

/** A running registry container; `stop()` (or `await using`) removes it and its temp files. */
export class StartedRegistryContainer extends AbstractStartedContainer {
  readonly #version: RegistryVersion;
  readonly #port: number;
  readonly #storageRoot: string;
  readonly #workDir: string;

  constructor(
    started: StartedTestContainer,
    details: { version: RegistryVersion; port: number; storageRoot: string; workDir: string },
  ) {
    super(started);
    this.#version = details.version;
    this.#port = details.port;
    this.#storageRoot = details.storageRoot;
    this.#workDir = details.workDir;
  }

  /** The version's entry in the testbed's table (same shape as a registry process's `version`). */
  get version(): RegistryVersion {
    return this.#version;
  }

  /** The 127.0.0.1 port the registry listens on. */
  get port(): number {
    return this.#port;
  }

  /** `127.0.0.1:PORT`, as used in image references. */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The registry's base URL (plain HTTP). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The host folder holding the storage tree (`docker/registry/v2` below it). */
  get storageRoot(): string {
    return this.#storageRoot;
  }

  /** Stops and removes the container, then its config and (if it made it) its storage tree. */
  override async stop(): Promise<StoppedTestContainer> {
    try {
      return await super.stop();
    } finally {
      await rm(this.#workDir, { recursive: true, force: true });
    }
  }
}

// Without this a missing local image makes testcontainers try Docker Hub and fail with a pull error.
async function assertImageExists(image: string): Promise<void> {
  try {
    await dockerClient().getImage(image).inspect();
  } catch (error) {
    throw new LabError(
      "lab.registry.image-missing",
      `image ${image} is not in the Docker engine: run scripts/setup.sh (it builds one per cached registry version)`,
      { cause: error },
    );
  }
}
