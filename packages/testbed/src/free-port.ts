import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it, or `preferred` if that one is
 * free; callers retry on EADDRINUSE).
 */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && (await listenOn(preferred).catch(() => undefined)) === preferred) {
    return preferred;
  }
  return listenOn(0);
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}
