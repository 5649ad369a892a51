// The app's port, listened on by several sockets. Node (libuv 1.45 and later) accepts one new
// connection per turn of the event loop and socket: while a burst keeps the loop busy (a turn of
// ~10 ms handles the requests of every connection already open), a replica takes its new
// connections at ~100 a second, and their first requests wait in the kernel's accept queue —
// measured, the slowest answers of a burst that meets a replica with few connections open (one just
// rolled out, behind a proxy whose pool to it is empty). With SO_REUSEPORT (`reusePort`, Node 22.12
// and later, on Linux and FreeBSD) the kernel spreads new connections over LISTENERS sockets of one
// process, and each turn accepts one on each. Elsewhere (Node 20, macOS) the app listens once.
// (A socket joining the port needs the same user: another process of the app's user could listen
// beside it — in a container, there is none.)
import type { Server } from "node:http";
import type { Logger } from "probot";

/** Sockets listening on the app's port where the runtime can share one. */
export const LISTENERS = 4;

/** Whether `listen({ reusePort })` is supported: Node 22.12 or later (23.1 or later on 23), on Linux or FreeBSD. */
export function reusePortSupported(version: string = process.versions.node, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== "linux" && platform !== "freebsd") return false;
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** How many sockets to listen with here. */
export function listenersHere(): number {
  return reusePortSupported() ? LISTENERS : 1;
}

function listen(server: Server, port: number, host: string, reusePort: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once("error", failed);
    server.listen({ port, host, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

/**
 * Listens with `servers[0]` on `port` (0: any), then with each other on the port it got. The first
 * failing rejects (the port is taken, say); a later one failing is logged and left out: the app
 * then listens with fewer sockets, as well as before. Resolves with the port and the servers listening.
 */
export async function listenAll(servers: readonly Server[], port: number, host: string, log: Pick<Logger, "warn">): Promise<{ port: number; listening: Server[] }> {
  const [first, ...others] = servers;
  if (first === undefined) throw new Error("no server to listen with");
  await listen(first, port, host, others.length > 0);
  const address = first.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  const listening = [first];
  for (const server of others) {
    try {
      await listen(server, bound, host, true);
      listening.push(server);
    } catch (error) {
      log.warn({ error: error instanceof Error ? error.message : String(error), listening: listening.length }, "cannot listen on the port with one more socket: listening with fewer");
      break;
    }
  }
  return { port: bound, listening };
}
