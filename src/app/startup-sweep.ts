// The start-up sweep: what a crash or a restart lost (jobs waiting, retries, freeze timers — their
// deliveries were answered already) is found again. Every open pull request of a gated base branch
// whose checks from this app are missing, older than the PR's last change, or show a success is
// re-evaluated, as bulk work — and every one of a base whose policies have freeze windows, whose
// timers died with the process. It runs after each start of the in-process queue, and with REDIS_URL
// once when Redis is found to have lost what it held (queue/store-loss.ts).
import type { Logger } from "probot";
import { nextFreezeTransition } from "../engine/index.js";
import { GitHubSession, type GitHubClient } from "../github/client.js";
import { installationRepositories } from "../github/installation.js";
import { evaluationJob } from "./evaluation-memory.js";
import type { Job, Later, Ports, PullRequest } from "./ports.js";

/** Pages of installations listed at most (100 each). */
const MAX_INSTALLATION_PAGES = 100;
/** Pages of a repository's open PRs listed at most (100 each): a bound on what one repository costs. */
const MAX_PULL_PAGES = 10;

/** The job that starts a sweep: it lists the installations, whose repositories are swept as jobs of their own. */
export const STARTUP_SWEEP_JOB: Job<Record<string, never>> = { kind: "startup-sweep", key: "startup-sweep", payload: {}, priority: "bulk" };

/** One repository to sweep, through its installation. */
export type SweptRepository = { owner: string; repo: string; installationId: number; defaultBranch?: string };

function repositoryJob(repository: SweptRepository): Job<SweptRepository> {
  return { kind: "sweep-repository", key: `sweep:${repository.owner}/${repository.repo}`.toLowerCase(), installationId: repository.installationId, payload: repository, priority: "bulk", log: { repository: `${repository.owner}/${repository.repo}`, name: "startup-sweep" } };
}

/** Lists this app's installations and queues the sweep of each one's repositories. */
export async function sweepInstallations(later: Later, appClient: () => Promise<GitHubClient>, log: Logger): Promise<void> {
  const app = new GitHubSession(await appClient());
  const { items } = await app.list<{ id: number }>("GET /app/installations", {}, "listing this app's installations", { maxPages: MAX_INSTALLATION_PAGES });
  for (const { id } of items) {
    await later.enqueue({ kind: "sweep-installation", key: `sweep-installation:${id}`, installationId: id, payload: { installationId: id }, priority: "bulk", log: { installation: id, name: "startup-sweep" } });
  }
  log.info({ installations: items.length }, "start-up sweep: installations listed");
}

/** Queues the sweep of each repository of an installation (archived ones are left: nothing merges there). */
export async function sweepInstallation(later: Later, client: GitHubClient, installationId: number): Promise<void> {
  for (const r of await installationRepositories(new GitHubSession(client), `listing the repositories of installation ${installationId}`)) {
    if (r.archived) continue;
    await later.enqueue(repositoryJob({ owner: r.owner, repo: r.repo, installationId, ...(r.defaultBranch !== undefined ? { defaultBranch: r.defaultBranch } : {}) }));
  }
}

/**
 * Whether the PR needs evaluating: it has no compliance check from this app on its head, one that
 * is older than the PR's last change (a review, push or label the lost job was about), or one that
 * shows a success. Whether GitHub moves `updated_at` when a review is dismissed is not documented,
 * and a lost evaluation of a dismissal would leave the success standing: every success is checked
 * again. That costs one evaluation's reads per such PR (about 5 charged requests once the base's
 * policies are cached; at most 1,000 PRs a repository, MAX_PULL_PAGES) and writes only what changed.
 */
export async function needsEvaluation(ports: Ports, pull: PullRequest): Promise<boolean> {
  const ours = await ports.checks.ours(pull.head.sha);
  if (ours.length === 0) return true;
  if (ours.some((run) => run.conclusion === "success")) return true;
  const changed = pull.updated_at !== undefined ? Date.parse(pull.updated_at) : Number.NaN;
  // Without both dates, the safe answer is to evaluate: it costs reads, and writes only what changed.
  return ours.some((run) => run.at === undefined || !Number.isFinite(changed) || Date.parse(run.at) < changed);
}

/** Re-evaluates the open PRs of a repository that need it, as bulk work. Returns how many were queued. */
export async function sweepRepository(later: Later, ports: Ports, log: Logger, repository: SweptRepository, now: number = Date.now()): Promise<number> {
  const listed = await ports.pulls.openInto(undefined, { firstPage: 1, maxPages: MAX_PULL_PAGES });
  /** Per base: not gated, gated, or gated with freeze windows ahead (every PR's timer was lost). */
  const bases = new Map<string, "none" | "gated" | "freezes">();
  let queued = 0;
  let covered = 0;
  for (const pull of listed.pulls) {
    const base = pull.base.ref;
    if (!bases.has(base)) {
      const found = await ports.policies.atBranchTip(base);
      bases.set(base, found.kind !== "policies" ? "none" : nextFreezeTransition(found.policies, now) !== null ? "freezes" : "gated");
    }
    const gated = bases.get(base);
    if (gated === "none") continue;
    const job = evaluationJob(
      {
        owner: repository.owner,
        repo: repository.repo,
        number: pull.number,
        installationId: repository.installationId,
        ...(repository.defaultBranch !== undefined ? { defaultBranch: repository.defaultBranch } : {}),
        base,
        head: pull.head.sha,
        force: false,
        reasons: ["start-up sweep"],
      },
      { name: "startup-sweep", repository: `${repository.owner}/${repository.repo}`, pull_request: pull.number },
    );
    // Evaluated since the start (a delivery came): nothing lost before the start is left to find.
    if ((await later.coveredSinceStart?.(job.key)) === true) {
      covered += 1;
      continue;
    }
    // A job of it waits or runs: the sweep's folds into the next run of it, without reading its checks.
    if (gated === "gated" && (await later.hasWork?.(job.key)) !== true && !(await needsEvaluation(ports, pull))) continue;
    await later.enqueue({ ...job, priority: "bulk" });
    queued += 1;
  }
  log.info({ open: listed.pulls.length, complete: listed.complete, queued, covered, requests: ports.requests().total }, "start-up sweep: repository looked at");
  return queued;
}
