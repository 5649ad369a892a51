// What the audit trail writes and reads on GitHub, as a little state behind nock: comments,
// issues and labels, deployments and their statuses, the audit check runs, merge commits, the
// PRs of commits and the recently closed PRs. Shared by every app instance of a test (two
// "replicas" see the same GitHub), and able to fail a request on demand.
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { API, APP_ID, NUMBER, OWNER, REPO, REPO_PATH, example, pullRequest, type FakeGitHub, type PullOptions } from "./helpers.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SLUG = "compliance-gate";
export const BOT = { login: `${SLUG}[bot]`, type: "Bot" };
/** The merge commit of the PR, and its parent: main just before the merge. */
export const MERGE_SHA = "4d".repeat(20);
export const PARENT = "5e".repeat(20);
/** Five minutes before helpers' NOW. */
export const MERGED_AT = "2026-11-25T09:55:00Z";

/** An Ed25519 key pair for signing records; the public half verifies them. */
export function signingKeys(): { privateKey: string; publicKey: string } {
  const pair = generateKeyPairSync("ed25519");
  return {
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export interface MergeOptions extends PullOptions {
  mergedAt?: string;
  mergeSha?: string;
  mergedBy?: string;
  title?: string;
}

/** A merged pull request as the REST API and the closed webhook show it. */
export function mergedPull(options: MergeOptions = {}): Json {
  const pull = pullRequest({ ...options, state: "closed" });
  pull["title"] = options.title ?? "Bump api to 1.4.2";
  pull["merged"] = true;
  pull["merged_at"] = options.mergedAt ?? MERGED_AT;
  pull["closed_at"] = options.mergedAt ?? MERGED_AT;
  pull["updated_at"] = options.mergedAt ?? MERGED_AT;
  pull["merge_commit_sha"] = options.mergeSha ?? MERGE_SHA;
  pull["merged_by"] = { ...(pull["user"] as Json), login: options.mergedBy ?? "dave" };
  pull["html_url"] = `https://github.com/${OWNER}/${REPO}/pull/${options.number ?? NUMBER}`;
  return pull;
}

/** GitHub's pull_request.closed example, merged (the example itself is an unmerged close). */
export function mergedEvent(options: MergeOptions = {}): Json {
  const payload = example("pull_request", "closed");
  payload["number"] = options.number ?? NUMBER;
  payload["pull_request"] = mergedPull(options);
  const repository = payload["repository"] as Json;
  payload["repository"] = {
    ...repository,
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    owner: { ...repository["owner"], login: OWNER, type: "Organization" },
    html_url: `https://github.com/${OWNER}/${REPO}`,
    default_branch: "main",
  };
  payload["installation"] = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
  return payload;
}

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
}

export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  state_reason?: string;
  user: { login: string; type: string };
  comments: string[];
}

export interface StoredDeployment {
  id: number;
  sha: string;
  environment: string;
  description: string;
  payload: Json;
  creator: { login: string; type: string };
  statuses: string[];
  deleted: boolean;
}

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
}

/** GitHub's audit-facing state, answered by persistent interceptors. */
export class AuditGitHub {
  readonly comments: StoredComment[] = [];
  readonly issues: StoredIssue[] = [];
  readonly labels = new Set<string>();
  readonly deployments: StoredDeployment[] = [];
  /** Git commits by sha: their parents (first first), message and author. */
  readonly gitCommits = new Map<string, { parents: string[]; message?: string; author?: { email: string; date: string } }>();
  /** The PRs GET commits/{sha}/pulls returns, by sha. */
  readonly commitPulls = new Map<string, Json[]>();
  /** What GET pulls?state=closed returns (most recently updated first). */
  closedPulls: Json[] = [];
  /** Lists of commits GET /commits?sha= returns, by starting sha. */
  readonly histories = new Map<string, Json[]>();
  /** Each branch's tip, by name: a check run listed by branch is the tip's (none known: no runs). */
  readonly tips = new Map<string, string>();
  /** The issues each pull request closes, as GitHub's GraphQL API links them (closingIssuesReferences). */
  readonly closing = new Map<number, { number: number; title: string; repository: string }[]>();
  private readonly failures: Failure[] = [];
  private nextId = 5000;
  /** Writes held back to pair them up (two replicas writing at once): see `pairWrites`. */
  private readonly pairing = new Map<string, { held?: () => void }>();

  constructor(private readonly github: FakeGitHub) {
    this.routes();
  }

  /** Fails the next `times` requests of `method` on a path matching `path`. */
  fail(method: string, path: RegExp, status = 502, times = 1): this {
    this.failures.push({ method, path, status, times });
    return this;
  }

  /**
   * Holds the first POST of `kind` until the second arrives, then answers both (the second
   * first): two writers that both looked before either wrote, as two replicas racing would.
   */
  pairWrites(kind: "comment" | "issue"): this {
    this.pairing.set(kind, {});
    return this;
  }

  private paired(kind: string, respond: () => void): void {
    const pair = this.pairing.get(kind);
    if (pair === undefined) return respond();
    if (pair.held === undefined) {
      pair.held = respond;
      return;
    }
    this.pairing.delete(kind);
    respond();
    pair.held();
  }

  /** This app's audit comments on a PR. */
  auditComments(issue = NUMBER): StoredComment[] {
    return this.comments.filter((c) => c.issue === issue && c.user.login === BOT.login && c.body.includes("<!-- compliance-gate:audit v1 -->"));
  }

  /** A merge commit (or any commit) with its parents. */
  commit(sha: string, parents: string[], details: { message?: string; author?: { email: string; date: string } } = {}): this {
    this.gitCommits.set(sha, { parents, ...details });
    return this;
  }

  private failing(method: string, path: string): number | undefined {
    const found = this.failures.find((f) => f.method === method && f.path.test(path) && f.times > 0);
    if (!found) return undefined;
    found.times -= 1;
    return found.status;
  }

  private record(method: string, path: string, status: number): void {
    this.github.answered.push({ method, path, status });
  }

  private routes(): void {
    const scope = nock(API).persist();
    const answer = (method: string, path: string, ok: () => [number, unknown]): [number, unknown] => {
      const failed = this.failing(method, path);
      if (failed !== undefined) {
        this.record(method, path, failed);
        return [failed, { message: "Server Error" }];
      }
      const [status, body] = ok();
      this.record(method, path, status);
      return [status, body];
    };

    scope.get("/app").reply(() => answer("GET", "/app", () => [200, { id: APP_ID, slug: SLUG, name: "compliance-gate" }]));

    // GraphQL: only the issues a pull request closes are asked for.
    scope.post("/graphql").reply((uri, body) =>
      answer("POST", uri, () => {
        const number = Number((body as { variables?: { number?: unknown } }).variables?.number);
        const issues = this.closing.get(number) ?? [];
        const nodes = issues.map((i) => ({ number: i.number, title: i.title, repository: { nameWithOwner: i.repository } }));
        return [200, { data: { repository: { pullRequest: { closingIssuesReferences: { totalCount: nodes.length, nodes } } } } }];
      }),
    );

    // Comments of an issue or PR
    scope
      .get(new RegExp(`^${REPO_PATH}/issues/\\d+/comments(\\?.*)?$`))
      .reply((uri) =>
        answer("GET", uri, () => {
          const issue = Number(/issues\/(\d+)\/comments/.exec(uri)?.[1]);
          return [200, this.comments.filter((c) => c.issue === issue).map((c) => ({ ...c }))];
        }),
      );
    scope.post(new RegExp(`^${REPO_PATH}/issues/\\d+/comments$`)).reply((uri, body, callback) => {
      const respond = (): void => {
        const [status, json] = answer("POST", uri, () => {
          const issue = Number(/issues\/(\d+)\/comments/.exec(uri)?.[1]);
          const text = (body as { body: string }).body;
          const stored = this.issues.find((i) => i.number === issue);
          if (stored) {
            stored.comments.push(text);
            return [201, { id: this.nextId++, body: text, user: BOT }];
          }
          const id = this.nextId++;
          const comment: StoredComment = { id, issue, body: text, user: BOT, html_url: `https://github.com/${OWNER}/${REPO}/pull/${issue}#issuecomment-${id}` };
          this.comments.push(comment);
          return [201, comment];
        });
        callback(null, [status, json as nock.Body]);
      };
      this.paired("comment", respond);
    });
    scope.delete(new RegExp(`^${REPO_PATH}/issues/comments/\\d+$`)).reply((uri) =>
      answer("DELETE", uri, () => {
        const id = Number(/comments\/(\d+)$/.exec(uri)?.[1]);
        const at = this.comments.findIndex((c) => c.id === id);
        if (at < 0) return [404, { message: "Not Found" }];
        this.comments.splice(at, 1);
        return [204, ""];
      }),
    );

    // Issues and labels
    scope.get(new RegExp(`^${REPO_PATH}/issues(\\?.*)?$`)).reply((uri) =>
      answer("GET", uri, () => {
        const query = new URL(uri, API).searchParams;
        const label = query.get("labels");
        return [200, this.issues.filter((i) => label === null || i.labels.includes(label)).map((i) => ({ ...i, html_url: `https://github.com/${OWNER}/${REPO}/issues/${i.number}` }))];
      }),
    );
    scope.post(`${REPO_PATH}/issues`).reply((uri, body, callback) =>
      this.paired("issue", () => {
        const [status, json] = answer("POST", uri, () => {
          const b = body as { title: string; body: string; labels?: string[] };
          const issue: StoredIssue = { number: 100 + this.issues.length, title: b.title, body: b.body, labels: b.labels ?? [], state: "open", user: BOT, comments: [] };
          this.issues.push(issue);
          return [201, { ...issue, html_url: `https://github.com/${OWNER}/${REPO}/issues/${issue.number}` }];
        });
        callback(null, [status, json as nock.Body]);
      }),
    );
    scope.patch(new RegExp(`^${REPO_PATH}/issues/\\d+$`)).reply((uri, body) =>
      answer("PATCH", uri, () => {
        const issue = this.issues.find((i) => i.number === Number(/issues\/(\d+)$/.exec(uri)?.[1]));
        if (!issue) return [404, { message: "Not Found" }];
        Object.assign(issue, body as Json);
        return [200, issue];
      }),
    );
    scope.post(`${REPO_PATH}/labels`).reply((uri, body) =>
      answer("POST", uri, () => {
        const name = (body as { name: string }).name;
        if (this.labels.has(name)) return [422, { message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] }];
        this.labels.add(name);
        return [201, { name }];
      }),
    );

    // Deployments
    scope.get(new RegExp(`^${REPO_PATH}/deployments(\\?.*)?$`)).reply((uri) =>
      answer("GET", uri, () => {
        const query = new URL(uri, API).searchParams;
        return [200, this.deployments.filter((d) => !d.deleted && d.sha === query.get("sha") && d.environment === query.get("environment")).sort((a, b) => b.id - a.id)];
      }),
    );
    scope.post(`${REPO_PATH}/deployments`).reply((uri, body) =>
      answer("POST", uri, () => {
        const b = body as { ref: string; environment: string; description: string; payload: Json };
        const deployment: StoredDeployment = { id: this.nextId++, sha: b.ref, environment: b.environment, description: b.description, payload: b.payload, creator: BOT, statuses: [], deleted: false };
        this.deployments.push(deployment);
        return [201, deployment];
      }),
    );
    scope.get(new RegExp(`^${REPO_PATH}/deployments/\\d+/statuses(\\?.*)?$`)).reply((uri) =>
      answer("GET", uri, () => {
        const deployment = this.deployments.find((d) => d.id === Number(/deployments\/(\d+)/.exec(uri)?.[1]));
        return [200, (deployment?.statuses ?? []).map((state, i) => ({ id: i + 1, state }))];
      }),
    );
    scope.post(new RegExp(`^${REPO_PATH}/deployments/\\d+/statuses$`)).reply((uri, body) =>
      answer("POST", uri, () => {
        const deployment = this.deployments.find((d) => d.id === Number(/deployments\/(\d+)/.exec(uri)?.[1]));
        if (!deployment) return [404, { message: "Not Found" }];
        deployment.statuses.push((body as { state: string }).state);
        return [201, { id: deployment.statuses.length, state: (body as { state: string }).state }];
      }),
    );
    scope.delete(new RegExp(`^${REPO_PATH}/deployments/\\d+$`)).reply((uri) =>
      answer("DELETE", uri, () => {
        const deployment = this.deployments.find((d) => d.id === Number(/deployments\/(\d+)$/.exec(uri)?.[1]));
        if (!deployment) return [404, { message: "Not Found" }];
        deployment.deleted = true;
        return [204, ""];
      }),
    );

    // Commits
    scope.get(new RegExp(`^${REPO_PATH}/git/commits/[0-9a-z]+$`)).reply((uri) =>
      answer("GET", uri, () => {
        const sha = /commits\/([0-9a-z]+)$/.exec(uri)?.[1] ?? "";
        const found = this.gitCommits.get(sha);
        if (!found) return [404, { message: "Not Found" }];
        return [200, { sha, message: found.message ?? "Merge", author: found.author ?? { email: "noreply@github.com", date: MERGED_AT }, parents: found.parents.map((p) => ({ sha: p })) }];
      }),
    );
    scope.get(new RegExp(`^${REPO_PATH}/commits/[0-9a-z]+/pulls(\\?.*)?$`)).reply((uri) =>
      answer("GET", uri, () => [200, this.commitPulls.get(/commits\/([0-9a-z]+)\/pulls/.exec(uri)?.[1] ?? "") ?? []]),
    );
    scope.get(new RegExp(`^${REPO_PATH}/commits\\?.*$`)).reply((uri) =>
      answer("GET", uri, () => [200, this.histories.get(new URL(uri, API).searchParams.get("sha") ?? "") ?? []]),
    );
    scope
      // By commit, or by branch (`heads%2Fmain`: the tip, where a gap's record is kept).
      .get(new RegExp(`^${REPO_PATH}/commits/(?:[0-9a-z]+|heads%2F[^/]+)/check-runs\\?.*check_name=compliance%2Faudit.*$`))
      .reply((uri) =>
        answer("GET", uri, () => {
          const ref = /commits\/([^/]+)\/check-runs/.exec(uri)?.[1] ?? "";
          const sha = ref.startsWith("heads%2F") ? this.tips.get(decodeURIComponent(ref.slice("heads%2F".length))) : ref;
          const runs = this.github.checks.filter((c) => c.name === "compliance/audit" && c.head_sha === sha).map((c, i) => ({ id: i + 1, ...c, app: { id: APP_ID, slug: SLUG } }));
          return [200, { total_count: runs.length, check_runs: runs }];
        }),
      );

    // Recently closed PRs (the reconcile's listing; another base's merged PRs for a push)
    scope.get(new RegExp(`^${REPO_PATH}/pulls\\?(?=.*state=closed).*$`)).reply((uri) =>
      answer("GET", uri, () => {
        const base = new URL(uri, API).searchParams.get("base");
        return [200, this.closedPulls.filter((p) => base === null || (p["base"] as Json)["ref"] === base)];
      }),
    );
  }
}

/** The merged PR as GET commits/{sha}/pulls lists it. */
export function listedMerged(options: MergeOptions = {}): Json {
  const pull = mergedPull(options);
  delete pull["merged_by"];
  delete pull["changed_files"];
  delete pull["commits"];
  return pull;
}
