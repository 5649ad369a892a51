// The app's port, listened on by several sockets. Node (libuv 1.45 and later) accepts one new
// connection per turn of the event loop and socket: while a burst keeps the loop busy (a turn of
// ~10 ms handles the requests of every connection already open), a replica takes its new
// connections at ~100 a second, and their first requests wait in the kernel's accept queue —
// measured, the slowest answers of a burst that meets a replica with few connections open (one just
// rolled out, behind a proxy whose pool to it is empty). With SO_REUSEPORT (`reusePort`, Node 22.12
// and later, on Linux and FreeBSD) the kernel spreads new connections over LISTENERS sockets of one
// process, and each turn accepts one on each. Elsewhere (Node 20, macOS) the app listens once.
// (A socket joining the port needs the same user and SO_REUSEPORT itself: a process of the app's
// user that asks for it could listen beside it once the app is up — in a container, there is none;
// a second instance of the app started on a port in use still fails, see listenAll.)
import type { Server } from "node:http";
import { createServer, type Server as NetServer } from "node:net";
import type { Logger } from "probot";
import { MAX_CONNECTIONS } from "./webhook-server.js";

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

function listen(server: Server | NetServer, port: number, host: string, reusePort: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once("error", failed);
    server.listen({ port, host, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

function close(server: NetServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Listens with `servers[0]` on `port` (0: any), then with each other on the port it got, and splits
 * MAX_CONNECTIONS among those listening. With more than one, the port is first bound once without
 * sharing: a port another process holds (another instance of the app, say — two processes each
 * with its own in-process queue would each take part of the deliveries) fails the start as a single
 * socket's did, before the sockets that share it are opened. The first failing rejects; one that
 * cannot share the port (a kernel without SO_REUSEPORT) leaves the app on one socket; a later one
 * failing is logged and left out. Resolves with the port and the servers listening.
 */
export async function listenAll(servers: readonly Server[], port: number, host: string, log: Pick<Logger, "warn">): Promise<{ port: number; listening: Server[] }> {
  const [first, ...others] = servers;
  if (first === undefined) throw new Error("no server to listen with");
  let bound = port;
  let shared = others.length > 0;
  if (shared) {
    // Not shared: fails with EADDRINUSE where anything listens, a group sharing the port included.
    const probe = createServer();
    await listen(probe, port, host, false);
    const address = probe.address();
    bound = typeof address === "object" && address !== null ? address.port : port;
    await close(probe);
    try {
      await listen(first, bound, host, true);
    } catch (error) {
      log.warn({ error: error instanceof Error ? error.message : String(error) }, "cannot share the port between sockets: listening with one");
      shared = false;
    }
  }
  if (!shared) await listen(first, bound, host, false);
  const address = first.address();
  bound = typeof address === "object" && address !== null ? address.port : bound;
  // The others join where the first is bound (its address, not a name that may resolve elsewhere).
  const at = typeof address === "object" && address !== null ? address.address : host;
  const listening = [first];
  for (const server of shared ? others : []) {
    try {
      await listen(server, bound, at, true);
      listening.push(server);
    } catch (error) {
      log.warn({ error: error instanceof Error ? error.message : String(error), listening: listening.length }, "cannot listen on the port with one more socket: listening with fewer");
      break;
    }
  }
  for (const server of listening) server.maxConnections = Math.ceil(MAX_CONNECTIONS / listening.length);
  return { port: bound, listening };
}
