// The loadtest's GitHub: the one in-memory GitHub of the tests (test/fakes/github-model.ts), one
// model per repository, behind one loopback server, so that two installations can be served at
// once. It answers what belongs to no repository (installation tokens, the app's installations and
// an installation's repositories) itself, and keeps, with the time of each, every request and
// every check run written, whole (the model keeps no summary).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GitHubModel, type FakeState, type ModelAnswer } from "../test/fakes/github-model.js";

/** A repository served, with the installation that reaches it. */
export interface ServedRepository {
  installation: number;
  state: FakeState;
}

/** One request as answered, `at` milliseconds after the server started. */
export interface Logged {
  at: number;
  method: string;
  path: string;
  status: number;
  /** `owner/name` of the repository it was about, if any. */
  repository: string | undefined;
}

/** A check run written (POST, or PATCH of a run): what it shows. */
export interface CheckWrite {
  at: number;
  repository: string;
  name: string;
  head: string;
  status: string;
  conclusion: string | undefined;
  title: string | undefined;
  summary: string | undefined;
}

export interface StandIn {
  url: string;
  /** GHE_HOST for the app: host:port. */
  host: string;
  /** The model of `owner/name`. */
  model(repository: string): GitHubModel;
  log: Logged[];
  writes: CheckWrite[];
  /** Requests nothing answered, as `METHOD /path`. */
  unexpected: string[];
  /** Called after each check run written, with it. */
  onWrite: (write: CheckWrite) => void;
  /** Milliseconds since the server started (the clock of `at`). */
  now(): number;
  close(): Promise<void>;
}

const json = (status: number, body: unknown): ModelAnswer => ({ status, headers: { "content-type": "application/json; charset=utf-8" }, text: JSON.stringify(body) });

/** Starts the stand-in for `repositories` on a free loopback port. */
export async function startStandIn(repositories: ServedRepository[]): Promise<StandIn> {
  let url = "";
  const started = performance.now();
  const now = (): number => performance.now() - started;
  const models = new Map(repositories.map((r) => [`${r.state.owner}/${r.state.repo}`, { served: r, model: new GitHubModel(r.state, () => url) }]));
  const first = [...models.values()][0];
  if (!first) throw new Error("the stand-in needs a repository");
  const standIn: StandIn = {
    url: "",
    host: "",
    model: (repository) => {
      const found = models.get(repository);
      if (!found) throw new Error(`no repository ${repository}`);
      return found.model;
    },
    log: [],
    writes: [],
    unexpected: [],
    onWrite: () => {},
    now,
    close: async () => {},
  };

  /** What no repository's model answers: the app's installations and their tokens, an installation's repositories. */
  function appRoute(method: string, path: string, authorization: string | undefined): ModelAnswer | undefined {
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (method === "POST" && token) {
      // A token per installation, so that GET /installation/repositories can tell whose it is.
      return json(201, { token: `ghs_installation_${token[1]}`, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "selected" });
    }
    if (method === "GET" && path === "/app/installations") {
      const ids = [...new Set(repositories.map((r) => r.installation))];
      return json(200, ids.map((id) => ({ id, account: { login: repositories.find((r) => r.installation === id)?.state.owner, type: "Organization" }, app_id: first?.served.state.appId ?? 1 })));
    }
    if (method === "GET" && path === "/installation/repositories") {
      const id = Number(/ghs_installation_(\d+)/.exec(authorization ?? "")?.[1]);
      const reached = repositories.filter((r) => r.installation === id);
      return json(200, {
        total_count: reached.length,
        repositories: reached.map((r, i) => ({ id: 100 + i, name: r.state.repo, full_name: `${r.state.owner}/${r.state.repo}`, owner: { login: r.state.owner, type: "Organization" }, default_branch: r.state.defaultBranch, archived: false })),
      });
    }
    const installation = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
    if (method === "GET" && installation) {
      const found = models.get(`${installation[1]}/${installation[2]}`);
      return found ? json(200, { id: found.served.installation, app_id: first?.served.state.appId ?? 1 }) : json(404, { message: "Not Found" });
    }
    return undefined;
  }

  /** PATCH of a check run: the model posts only; a run is updated in place, as GitHub does. */
  function patchCheck(model: GitHubModel, id: number, body: Record<string, unknown>): ModelAnswer {
    const check = model.checks[id - 1];
    if (!check) return json(404, { message: "Not Found" });
    const output = body["output"] as { title?: string; text?: string } | undefined;
    if (typeof body["status"] === "string") check.status = body["status"];
    if (typeof body["conclusion"] === "string") {
      check.conclusion = body["conclusion"];
      check.status = "completed";
    }
    if (output?.title !== undefined) check.title = output.title;
    if (output?.text !== undefined) check.text = output.text;
    return json(200, { id, ...check, app: { id: model.state.appId ?? 1 } });
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const parsed = new URL(req.url ?? "/", url);
      const method = req.method ?? "GET";
      const path = decodeURIComponent(parsed.pathname.replace(/^\/api\/v3/, ""));
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      } catch {
        body = undefined;
      }
      const owner = /^\/(?:repos|orgs)\/([^/]+)(?:\/([^/]+))?/.exec(path);
      const entry = owner
        ? path.startsWith("/repos/")
          ? models.get(`${owner[1]}/${owner[2]}`)
          : [...models.values()].find((m) => m.served.state.owner === owner[1])
        : undefined;
      const repository = entry ? `${entry.served.state.owner}/${entry.served.state.repo}` : undefined;
      const patch = /\/check-runs\/(\d+)$/.exec(path);
      let answer: ModelAnswer;
      const own = appRoute(method, path, req.headers.authorization);
      if (own) answer = own;
      else if (entry && method === "PATCH" && patch) answer = patchCheck(entry.model, Number(patch[1]), (body ?? {}) as Record<string, unknown>);
      else {
        const model = (entry ?? first).model;
        const unexpectedBefore = model.unexpected.length;
        const ifNoneMatch = req.headers["if-none-match"];
        answer = model.answer({ method, path, query: parsed.searchParams, search: parsed.search, body, ifNoneMatch: typeof ifNoneMatch === "string" ? ifNoneMatch : undefined });
        standIn.unexpected.push(...model.unexpected.slice(unexpectedBefore));
      }
      const at = now();
      standIn.log.push({ at, method, path, status: answer.status, repository });
      if (repository && answer.status < 300 && ((method === "POST" && path.endsWith("/check-runs")) || (method === "PATCH" && patch))) {
        const b = (body ?? {}) as { name?: string; head_sha?: string; status?: string; conclusion?: string; output?: { title?: string; summary?: string } };
        const model = models.get(repository)?.model;
        const run = patch ? model?.checks[Number(patch[1]) - 1] : model?.checks.at(-1);
        const write: CheckWrite = {
          at,
          repository,
          name: run?.name ?? b.name ?? "",
          head: run?.head_sha ?? b.head_sha ?? "",
          status: run?.status ?? b.status ?? "",
          conclusion: run?.conclusion ?? b.conclusion,
          title: run?.title ?? b.output?.title,
          summary: b.output?.summary,
        };
        standIn.writes.push(write);
        standIn.onWrite(write);
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  standIn.url = url;
  standIn.host = `127.0.0.1:${port}`;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return standIn;
}

/** The check runs showing on `head` of `repository` now: the latest run of each name, as GitHub shows them. */
export function showing(standIn: StandIn, repository: string, head: string): Map<string, { status: string; conclusion: string | undefined; title: string | undefined }> {
  const shown = new Map<string, { status: string; conclusion: string | undefined; title: string | undefined }>();
  for (const check of standIn.model(repository).checks) {
    if (check.head_sha === head) shown.set(check.name, { status: check.status, conclusion: check.conclusion, title: check.title });
  }
  return shown;
}
