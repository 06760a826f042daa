import { tagSemver } from "@regsweep/cleaner";

/** Digits as numbers (`app2` before `app10`), as ICU collates with `numeric`; then case, then code units. */
const natural = new Intl.Collator("en", { numeric: true });

/** Names in natural order; names ICU calls equal (`v01`, `v1`) still get a fixed order. */
export function compareNames(a: string, b: string): number {
  return natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * A sort key per tag, made once (parsing a version per comparison would cost a parse per comparison):
 * versions first, in semver order (`1.2.0-rc.1` < `1.2.0` < `1.10.0`, a `v` prefix and short forms
 * like `v1.2` accepted, as retention reads them), then every other tag (`latest`, `main-2024`) in natural
 * order. Keys compare as a total order, so the sort never depends on the order rows came in.
 */
export interface TagKey {
  tag: string;
  version: ReturnType<typeof tagSemver>;
}

/** The key `compareTagKeys` sorts `tag` by. */
export function tagKey(tag: string): TagKey {
  return { tag, version: tagSemver(tag) };
}

/** Versions in version order, then the other tags by name. */
export function compareTagKeys(a: TagKey, b: TagKey): number {
  if (a.version && b.version) return a.version.compare(b.version) || compareNames(a.tag, b.tag);
  if (a.version) return -1;
  if (b.version) return 1;
  return compareNames(a.tag, b.tag);
}
