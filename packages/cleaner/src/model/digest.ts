import { InvalidReferenceError } from "./errors.js";

/** A content digest as distribution writes it, e.g. `sha256:<64 hex>`. */
export type Digest = `${"sha256" | "sha512"}:${string}`;

const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

/** The algorithms whose digests the storage tree can hold. */
export type DigestAlgorithm = keyof typeof HEX_LENGTH;

/** Whether a string is a well-formed sha256/sha512 digest (lowercase hex of the right length). */
export function isDigest(value: string): value is Digest {
  const match = /^(sha256|sha512):([a-f0-9]+)$/.exec(value);
  if (!match) return false;
  const [, algorithm, hex] = match as unknown as [string, DigestAlgorithm, string];
  return hex.length === HEX_LENGTH[algorithm];
}

/** Parses a digest or throws an error naming it; the hex part is what lands in storage paths. */
export function parseDigest(value: string): { algorithm: DigestAlgorithm; hex: string; digest: Digest } {
  if (!isDigest(value)) {
    throw new InvalidReferenceError(
      `invalid digest '${value}': expected sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  const [algorithm, hex] = value.split(":") as [DigestAlgorithm, string];
  return { algorithm, hex, digest: value };
}
