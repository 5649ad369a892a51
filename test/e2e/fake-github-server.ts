// A loopback HTTP server that stands in for GitHub's REST API (as GitHub Enterprise's /api/v3),
// with a little state: one repository, its policies, one pull request, and the check runs posted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

export interface FakeReview {
  id: number;
  user: string;
  state: string;
  commit_id: string;
  submitted_at: string;
}

export interface PostedCheck {
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string;
  title?: string;
}

export interface FakeState {
  owner: string;
  repo: string;
  defaultBranch: string;
  baseTip: string;
  /** Policy files at the base tip: name -> YAML text. */
  policies: Record<string, string>;
  pull: { number: number; author: string; head: string; base: string; labels: string[]; state: "open" | "closed" };
  files: FakeFile[];
  reviews: FakeReview[];
  /** Commit shas of the PR, each authored and committed by the author. */
  commits: string[];
  teams: Record<string, string[]>;
}

export interface FakeGitHub {
  url: string;
  /** GHE_HOST for Probot: host:port. */
  host: string;
  state: FakeState;
  checks: PostedCheck[];
  /** Every request as `METHOD /path` (after /api/v3), in order. */
  requests: string[];
  /** Requests no route answered. */
  unexpected: string[];
  close(): Promise<void>;
}

const blobSha = (name: string): string => Buffer.from(`blob:${name}`).toString("hex").padEnd(40, "0").slice(0, 40);

function pullJson(state: FakeState, url: string) {
  const { pull } = state;
  const repo = {
    id: 1,
    name: state.repo,
    full_name: `${state.owner}/${state.repo}`,
    owner: { login: state.owner, type: "Organization" },
    default_branch: state.defaultBranch,
  };
  return {
    id: 1000 + pull.number,
    number: pull.number,
    state: pull.state,
    title: "Bump api",
    html_url: `${url}/${state.owner}/${state.repo}/pull/${pull.number}`,
    user: { login: pull.author, type: "User" },
    labels: pull.labels.map((name, i) => ({ id: i, name })),
    head: { ref: "feature", sha: pull.head, repo },
    base: { ref: pull.base, sha: state.baseTip, repo },
    changed_files: state.files.length,
    commits: state.commits.length,
    merged: false,
  };
}

function route(state: FakeState, method: string, path: string, query: URLSearchParams, body: unknown, url: string, checks: PostedCheck[]): [number, unknown] | undefined {
  const repo = `/repos/${state.owner}/${state.repo}`;
  const pullPath = `${repo}/pulls/${state.pull.number}`;
  if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
    return [201, { token: "ghs_fake", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: "all" }];
  }
  if (method === "GET" && path === `${repo}/git/ref/heads/${state.pull.base}`) {
    return [200, { ref: `refs/heads/${state.pull.base}`, object: { sha: state.baseTip, type: "commit" } }];
  }
  if (method === "GET" && path === `${repo}/contents/policies`) {
    return [
      200,
      Object.keys(state.policies).map((name) => ({ name, path: `policies/${name}`, sha: blobSha(name), type: "file", size: state.policies[name]?.length ?? 0 })),
    ];
  }
  const blob = path.match(new RegExp(`^${repo}/git/blobs/([0-9a-f]{40})$`));
  if (method === "GET" && blob) {
    const name = Object.keys(state.policies).find((n) => blobSha(n) === blob[1]);
    if (name === undefined) return [404, { message: "Not Found" }];
    return [200, { sha: blob[1], encoding: "base64", content: Buffer.from(state.policies[name] ?? "").toString("base64") }];
  }
  if (method === "GET" && path === pullPath) return [200, pullJson(state, url)];
  if (method === "GET" && path === `${pullPath}/files`) {
    return [200, state.files.map((f) => ({ sha: "0".repeat(40), additions: 1, deletions: 0, changes: 1, ...f }))];
  }
  if (method === "GET" && path === `${pullPath}/reviews`) {
    return [
      200,
      state.reviews.map((r) => ({ id: r.id, user: { login: r.user, type: "User" }, state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at, body: "" })),
    ];
  }
  if (method === "GET" && path === `${pullPath}/commits`) {
    const person = { login: state.pull.author, type: "User" };
    return [200, state.commits.map((sha) => ({ sha, author: person, committer: person, commit: { author: { name: "c", email: "c@example.com" }, committer: { name: "c", email: "c@example.com" } } }))];
  }
  const team = path.match(new RegExp(`^/orgs/${state.owner}/teams/([^/]+)/members$`));
  if (method === "GET" && team) {
    const members = state.teams[team[1] ?? ""];
    if (!members) return [404, { message: "Not Found" }];
    return [200, members.map((login, i) => ({ login, id: i + 1, type: "User" }))];
  }
  if (method === "GET" && path === `${repo}/pulls` && query.get("state") === "open") {
    return [200, state.pull.state === "open" ? [pullJson(state, url)] : []];
  }
  if (method === "POST" && path === `${repo}/check-runs`) {
    const b = body as { name: string; head_sha: string; status?: string; conclusion?: string; output?: { title?: string } };
    const check: PostedCheck = { name: b.name, head_sha: b.head_sha, status: b.status ?? (b.conclusion ? "completed" : "queued") };
    if (b.conclusion !== undefined) check.conclusion = b.conclusion;
    if (b.output?.title !== undefined) check.title = b.output.title;
    checks.push(check);
    return [201, { id: checks.length, ...b }];
  }
  if (method === "POST" && path === `${pullPath}/requested_reviewers`) return [201, pullJson(state, url)];
  return undefined;
}

/** Starts the fake on a free loopback port. */
export async function startFakeGitHub(state: FakeState): Promise<FakeGitHub> {
  const checks: PostedCheck[] = [];
  const requests: string[] = [];
  const unexpected: string[] = [];
  let url = "";
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const parsed = new URL(req.url ?? "/", url);
      const path = decodeURIComponent(parsed.pathname.replace(/^\/api\/v3/, ""));
      const method = req.method ?? "GET";
      requests.push(`${method} ${path}`);
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      } catch {
        body = undefined;
      }
      const answer = route(state, method, path, parsed.searchParams, body, url, checks);
      if (!answer) unexpected.push(`${method} ${path}`);
      const [status, json] = answer ?? [404, { message: "Not Found" }];
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    host: `127.0.0.1:${port}`,
    state,
    checks,
    requests,
    unexpected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
