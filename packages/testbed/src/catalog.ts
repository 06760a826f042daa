/** Repositories the registry's `_catalog` lists (one big page: tests stay below 1000 repositories). */
export async function catalog(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/_catalog?n=1000`);
  if (!res.ok) throw new Error(`_catalog: HTTP ${res.status}`);
  const body = (await res.json()) as { repositories?: string[] | null };
  return (body.repositories ?? []).sort();
}

/** Tags the registry lists for a repository, sorted; [] when the repository is unknown. */
export async function tags(url: string, repository: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/${repository}/tags/list?n=1000`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`tags/list ${repository}: HTTP ${res.status}`);
  const body = (await res.json()) as { tags?: string[] | null };
  return (body.tags ?? []).sort();
}
