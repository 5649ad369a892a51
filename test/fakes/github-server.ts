// The in-memory GitHub (github-model.ts) served over a loopback HTTP server, as GitHub Enterprise's
// /api/v3: the end-to-end test runs the app against it, and the request benchmark counts at it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GitHubModel, type AnsweredRequest, type FakeState, type PostedCheck } from "./github-model.js";

export * from "./github-model.js";

export interface FakeGitHub {
  url: string;
  /** GHE_HOST for Probot: host:port. */
  host: string;
  state: FakeState;
  checks: PostedCheck[];
  /** Every request as `METHOD /path` (after /api/v3), in order. */
  requests: string[];
  /** Every request with the status it was answered with (304s included), in order. */
  answered: AnsweredRequest[];
  /** Requests no route answered. */
  unexpected: string[];
  close(): Promise<void>;
}

/** Starts the model of `state` on a free loopback port. */
export async function startFakeGitHub(state: FakeState): Promise<FakeGitHub> {
  let url = "";
  const model = new GitHubModel(state, () => url);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const parsed = new URL(req.url ?? "/", url);
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      } catch {
        body = undefined;
      }
      const ifNoneMatch = req.headers["if-none-match"];
      const answered = model.answer({
        method: req.method ?? "GET",
        path: decodeURIComponent(parsed.pathname.replace(/^\/api\/v3/, "")),
        query: parsed.searchParams,
        search: parsed.search,
        body,
        ifNoneMatch: typeof ifNoneMatch === "string" ? ifNoneMatch : undefined,
      });
      res.writeHead(answered.status, answered.headers);
      res.end(answered.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    host: `127.0.0.1:${port}`,
    state,
    checks: model.checks,
    requests: model.requests,
    answered: model.answered,
    unexpected: model.unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of a client that is done would otherwise hold the close open.
        server.closeAllConnections();
      }),
  };
}
