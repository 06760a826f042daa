import { InvalidRequestError, type PlanRequest, parseReference } from "@regsweep/cleaner";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { type DestructiveOptions, planAndApply } from "../flow/plan-flow.js";
import { addDestructiveOptions, addStorageOptions } from "./shared-options.js";

interface DeleteOptions extends DestructiveOptions {
  image?: string[];
  untagged?: boolean;
  force?: boolean;
}

/** Turns `repo`, `repo:tag`, `repo@digest` (and `--untagged`) into plan requests. */
export function deleteRequests(images: string[], untagged: boolean): PlanRequest[] {
  if (images.length === 0) {
    if (untagged) return [{ kind: "delete-untagged" }];
    throw new InvalidRequestError(
      "an image is required: regsweep delete <repository>[:tag|@digest] (or --untagged)",
    );
  }
  return images.map((text): PlanRequest => {
    const ref = parseReference(text);
    if (ref.digest) return { kind: "delete-manifest", repository: ref.repository, digest: ref.digest };
    if (ref.tag !== undefined) return { kind: "delete-tag", repository: ref.repository, tag: ref.tag };
    return untagged
      ? { kind: "delete-untagged", repository: ref.repository }
      : { kind: "delete-repository", repository: ref.repository };
  });
}

/** `regsweep delete`: a repository, a tag, a manifest, or untagged manifests (the seed script's flags work). */
export function deleteCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("delete")
    .description("delete repositories, tags or manifests from the storage tree, and the blobs only they used")
    .argument("[images...]", "repository, repository:tag or repository@digest")
    .option(
      "-i, --image <image>",
      "same as an image argument (the seed script's form); repeatable",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option(
      "--untagged",
      "delete the untagged manifests of the given repositories (all repositories if none given)",
    )
    .option("--force", "accepted for the seed script's users; regsweep needs no force (see --yes)");
  addStorageOptions(cmd);
  addDestructiveOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  regsweep delete --storage /var/lib/registry test/a --dry-run      # a whole repository
  regsweep delete --storage /var/lib/registry test/c:1 --yes        # one tag; other tags stay
  regsweep delete --storage /var/lib/registry app --untagged        # the history of re-pushed tags
  REGISTRY_DATA_DIR=/opt/registry/docker/registry/v2 regsweep delete --image test/a:latest --prune`,
  );
  cmd.action(async (images: string[], options: DeleteOptions) => {
    if (options.force && !options.quiet) io.err("note: --force is not needed by regsweep and is ignored");
    const requests = deleteRequests([...images, ...(options.image ?? [])], Boolean(options.untagged));
    setExit(await planAndApply(options, requests, io));
  });
}
