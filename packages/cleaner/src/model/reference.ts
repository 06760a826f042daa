import { type Digest, parseDigest } from "./digest.js";
import { InvalidReferenceError } from "./errors.js";

/**
 * Distribution's reference grammar, for repository paths (no registry host):
 * https://github.com/distribution/reference/blob/main/regexp.go
 * A path component is lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
 */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const NAME_MAX_LENGTH = 255;

/** Whether a folder name can be one component of a repository name. */
export function isRepositoryComponent(name: string): boolean {
  return PATH_COMPONENT.test(name);
}

/** Whether a folder name can be a tag. */
export function isTag(name: string): boolean {
  return TAG.test(name);
}

/** `name[:tag][@digest]`, validated; `tag` and `digest` are absent when not given. */
export interface Reference {
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Throws unless `name` is a valid repository name (the only way a name reaches a storage path). */
export function validateRepositoryName(name: string): string {
  if (name.length === 0) throw new InvalidReferenceError("empty repository name");
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidReferenceError(
      `repository name is ${name.length} characters long (at most ${NAME_MAX_LENGTH})`,
    );
  }
  for (const component of name.split("/")) {
    if (!PATH_COMPONENT.test(component)) {
      const why =
        component === ""
          ? "an empty path component"
          : component === "." || component === ".."
            ? `the path component '${component}'`
            : /[A-Z]/.test(component)
              ? `uppercase letters in '${component}'`
              : `the path component '${component}'`;
      throw new InvalidReferenceError(
        `invalid repository name '${name}': it has ${why} (components are lowercase letters and digits, joined by '.', '_', '__' or '-', separated by '/')`,
      );
    }
  }
  return name;
}

/** Throws unless `tag` matches `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function validateTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new InvalidReferenceError(
      `invalid tag '${tag}': a tag is 1–128 of letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
    );
  }
  return tag;
}

/** Parses `name[:tag][@digest]` with distribution's grammar; anything else is rejected before any file is touched. */
export function parseReference(text: string): Reference {
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = parseDigest(rest.slice(at + 1)).digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = validateTag(rest.slice(colon + 1));
    rest = rest.slice(0, colon);
  }
  const repository = validateRepositoryName(rest);
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The canonical text of a reference. */
export function formatReference(ref: Reference): string {
  return `${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}
