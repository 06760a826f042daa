import { RegistryProtocolError } from "./http-errors.js";
import type { RegistryClient, RequestOptions } from "./registry-client.js";

/** The `rel="next"` target of a `Link` header, if any (distribution: `</v2/_catalog?last=x&n=100>; rel="next"`). */
export function nextLink(header: string | string[] | undefined): string | undefined {
  for (const value of Array.isArray(header) ? header : header ? [header] : []) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
      if (m && /rel="?next"?/i.test(m[2] ?? "")) return m[1];
    }
  }
  return undefined;
}

/**
 * Every item of a paginated list endpoint (`_catalog` → `repositories`, `tags/list` → `tags`): follows `Link`
 * headers, and when a registry sends none but a full page, asks again with `last=` so nothing is missed.
 * Returns undefined when the first page is a 404 (e.g. a repository the registry does not know).
 */
export async function listAll(
  client: RegistryClient,
  path: string,
  key: "repositories" | "tags",
  opts: RequestOptions & { pageSize?: number } = {},
): Promise<string[] | undefined> {
  const pageSize = opts.pageSize ?? 1000;
  const items: string[] = [];
  const seen = new Set<string>();
  let url = new URL(`${client.basePath}${path}?n=${pageSize}`, client.base);
  for (let page = 0; page < 1_000_000; page++) {
    const res = await client.requestUrl("GET", url, { ...opts, expect: [404] });
    if (res.status === 404) {
      if (page === 0) return undefined;
      break;
    }
    const doc = JSON.parse(res.body.toString("utf8")) as Record<string, string[] | null | undefined>;
    const batch = doc[key] ?? [];
    let fresh = 0;
    for (const item of batch) {
      if (seen.has(item)) continue;
      seen.add(item);
      items.push(item);
      fresh++;
    }
    const next = nextLink(res.headers.link);
    if (next) {
      url = new URL(next, client.base);
      // Credentials go with every request: never follow a page link to another origin.
      if (url.origin !== client.base.origin)
        throw new RegistryProtocolError(
          `${path}: the next page link points to another origin (${url.origin})`,
        );
    } else if (batch.length >= pageSize && fresh > 0) {
      url = new URL(`${client.basePath}${path}?n=${pageSize}`, client.base);
      url.searchParams.set("last", batch[batch.length - 1] as string);
    } else {
      break;
    }
    if (fresh === 0) break; // a registry that repeats itself must not loop forever
  }
  return items;
}
