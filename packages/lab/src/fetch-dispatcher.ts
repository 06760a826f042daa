/**
 * Makes Node's built-in fetch create its own HTTP dispatcher before testcontainers loads. Loading the npm
 * `undici` 7 that testcontainers depends on installs *its* Agent as the process-wide dispatcher when none
 * exists yet, and Node 20's fetch then hands it requests it rejects ("invalid content-length header" on the
 * testbed's blob uploads, which set Content-Length). One failed fetch to a closed port is enough: Node's
 * fetch registers its dispatcher on first use, and undici only installs one where none is set.
 */
export async function pinNodeFetchDispatcher(): Promise<void> {
  if ((globalThis as Record<symbol, unknown>)[Symbol.for("undici.globalDispatcher.1")] !== undefined) return;
  // Port 1 on the loopback: refused at once, never leaves the machine.
  await fetch("http://127.0.0.1:1/").catch(() => undefined);
}
