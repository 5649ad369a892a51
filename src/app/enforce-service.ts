// Enforcement as the app runs it (SPEC §5): one repository at a time per repository, its outcome
// logged, a GitHub failure tried again later (bounded, never for a refusal), and the periodic sweep
// of every installed repository, behind one function a scheduler (today a timer) can call.
import type { KeyObject } from "node:crypto";
import type { Logger } from "probot";
import type { EnforcementTrigger } from "../engine/enforcement-drift.js";
import { compileGlob } from "../engine/globs.js";
import type { AppIdentity } from "../github/app-identity.js";
import { GitHubError, GitHubSession, type GitHubClient } from "../github/client.js";
import { installationRepositories } from "../github/installation.js";
import { notRequiredLines } from "../render/enforcement-plan.js";
import { EnforcementMemory, Enforcer, type EnforceOutcome } from "./enforce.js";
import type { EnforcementPorts } from "./ports.js";
import type { Job, Later } from "./ports.js";

export interface EnforcementServiceOptions {
  /** Seals gap records (AUDIT_SIGNING_KEY); without it they carry their digest only. */
  signingKey?: KeyObject;
  identity: AppIdentity;
  /** This app's id when configured (APP_ID); else learnt from GitHub. */
  appId?: number;
  later: Later;
  clock: () => number;
  /** The app's own client (JWT), to list installations for the sweep. */
  appClient: () => Promise<GitHubClient>;
  installationClient: (installationId: number) => Promise<GitHubClient>;
  /** The enforcement ports of a repository over an installation's client. */
  portsFor: (octokit: GitHubClient, request: EnforceRequest) => EnforcementPorts;
  log: Logger;
}

/** A repository to enforce, and why: plain data, so a retry can wait in a queue. */
export type EnforceRequest = {
  owner: string;
  repo: string;
  defaultBranch?: string;
  installationId?: number;
  trigger: EnforcementTrigger;
  retryAttempt?: number;
};

/** The job that enforces a repository; `origin` tells it from the others of the repository (a delivery, a retry), since triggers are not folded together. */
export function enforceJob(request: EnforceRequest, origin: string, log?: Record<string, string | number>): Job<EnforceRequest> {
  return {
    kind: "enforce",
    key: `enforce:${request.owner}/${request.repo}:${origin}`.toLowerCase(),
    ...(request.installationId !== undefined ? { installationId: request.installationId } : {}),
    payload: request,
    log: log ?? { repository: `${request.owner}/${request.repo}` },
  };
}

/** The periodic sweep, as a job: it needs no installation (it lists them with the app's own client). */
export const SWEEP_JOB: Job<Record<string, never>> = { kind: "enforce-sweep", key: "enforce-sweep", payload: {}, priority: "bulk" };

/** Pages of installations a sweep lists at most (100 each). */
const MAX_SWEEP_PAGES = 100;

/** Runs enforcement for the app; keeps what it learnt (EnforcementMemory) for compliance/policy and the sweep. */
export class EnforcementService {
  readonly memory = new EnforcementMemory();
  private readonly enforcer: Enforcer;
  /** The run of each repository in progress: the next waits for it (a burst of events is done one after another, the later ones cheap). */
  private readonly running = new Map<string, Promise<unknown>>();
  /** The interval of the periodic sweep while it is scheduled. */
  private sweepIntervalMs: number | undefined;

  /** The enforcement ports of a repository over an installation's client. */
  readonly portsFor: EnforcementServiceOptions["portsFor"];

  constructor(private readonly options: EnforcementServiceOptions) {
    this.portsFor = options.portsFor;
    this.enforcer = new Enforcer(this.memory, options.clock, options.signingKey);
  }

  /** The lines compliance/policy shows for a branch: checks the policies want required there and the app could not require. */
  notRequiredOn(owner: string, repo: string, branch: string): string[] {
    const state = this.memory.get(owner, repo);
    // A pattern (release/*) is the base policies' own glob: matched as the policies match base branches.
    const covers = (glob: string): boolean => {
      try {
        return glob === branch || compileGlob(glob).match(branch);
      } catch {
        return false;
      }
    };
    return notRequiredLines((state?.notRequired ?? []).filter((t) => covers(t.branch)).map((t) => ({ ...t, branch })));
  }

  /**
   * Whether a push to `branch` may change what is enforced: the default branch, or a branch (or
   * pattern) the policies enforce. Not known yet (no run since start): yes.
   */
  mayChangeEnforcement(owner: string, repo: string, branch: string): boolean {
    const enforced = this.memory.get(owner, repo)?.enforced;
    if (enforced === undefined) return true;
    if (branch === enforced.defaultBranch) return true;
    return enforced.globs.some((glob) => {
      try {
        return glob === branch || compileGlob(glob).match(branch);
      } catch {
        return true;
      }
    });
  }

  /** Enforces one repository after any run of it in progress. Never rejects. */
  enforce(request: EnforceRequest, ports: EnforcementPorts, log: Logger): Promise<EnforceOutcome | "failed"> {
    const key = `${request.owner}/${request.repo}`.toLowerCase();
    const previous = this.running.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.enforceNow(request, ports, log));
    const settled = run.finally(() => {
      if (this.running.get(key) === settled) this.running.delete(key);
    });
    this.running.set(key, settled);
    return run;
  }

  /** Resolves when no repository is being enforced. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private async enforceNow(job: EnforceRequest, ports: EnforcementPorts, log: Logger): Promise<EnforceOutcome | "failed"> {
    const { owner, repo } = job;
    const started = this.options.clock();
    const where = { repository: `${owner}/${repo}`, trigger: job.trigger.kind === "rules_changed" ? job.trigger.event : job.trigger.kind === "setup" ? job.trigger.reason : "sweep" };
    try {
      const appId = this.options.appId ?? (await this.options.identity.appId());
      const outcome = await this.enforcer.enforce(ports, { trigger: job.trigger, apply: true, appId });
      this.options.later.cancelRetry(`enforce:${where.repository}`.toLowerCase());
      const details = { ...where, outcome: outcome.kind, changes: outcome.view.plan.changes.length, requests: ports.requests(), duration_ms: this.options.clock() - started };
      const recorded = outcome.gap ? { gap: outcome.gap, issue: outcome.issue?.number } : {};
      if (outcome.problems.length > 0) log.error({ ...details, problems: outcome.problems }, "enforcement: written without some of its records");
      if (outcome.kind === "cannot") {
        log.warn({ ...details, ...recorded, reason: outcome.reason, not_required: outcome.view.plan.targets.filter((t) => t.missing.length > 0) }, "cannot require the checks");
      } else if (outcome.kind === "held_back") {
        log.error({ ...details, reason: outcome.reason, issue: outcome.issue?.number }, "the required checks keep being undone: restores held back for now");
      } else if (outcome.kind === "applied") {
        log.info({ ...details, ...recorded }, outcome.gap ? "required checks restored: gap recorded" : "required checks applied");
      } else if (outcome.gap) {
        log.info({ ...details, ...recorded }, "required checks in sync, but the event shows a gap: recorded");
      } else log.debug(details, "required checks in sync");
      for (const u of outcome.view.unenforceable) log.warn({ ...where, file: u.file, field: u.field, glob: u.glob }, `branch pattern not enforced: ${u.reason}`);
      return outcome;
    } catch (error) {
      const message = error instanceof GitHubError ? error.message : error instanceof Error ? `unexpected error: ${error.message}` : String(error);
      const attempt = (job.retryAttempt ?? 0) + 1;
      const scheduled =
        job.installationId !== undefined && this.options.later.retry(`enforce:${where.repository}`.toLowerCase(), enforceJob({ ...job, retryAttempt: attempt }, "retry"), attempt);
      log.error({ ...where, error: message, ...(scheduled ? { retry: attempt } : {}) }, scheduled ? "cannot enforce the required checks: trying again later" : "cannot enforce the required checks, and no retry is left: the next sweep tries again");
      return "failed";
    }
  }

  /**
   * The periodic sweep: every repository of every installation, one at a time, so a requirement
   * removed while the app was down (or an event lost) is found and restored. Returns how many
   * repositories were looked at; a listing that fails is logged and the sweep goes on.
   */
  async sweep(): Promise<number> {
    const { log } = this.options;
    const at = new Date(this.options.clock()).toISOString();
    let swept = 0;
    let installations: { id: number }[];
    try {
      const app = new GitHubSession(await this.options.appClient());
      installations = (await app.list<{ id: number }>("GET /app/installations", {}, "listing this app's installations", { maxPages: MAX_SWEEP_PAGES })).items;
    } catch (error) {
      log.error({ error: error instanceof Error ? error.message : String(error) }, "enforcement sweep: cannot list the installations");
      return 0;
    }
    for (const installation of installations) {
      try {
        const octokit = await this.options.installationClient(installation.id);
        const listed = await installationRepositories(new GitHubSession(octokit), `listing the repositories of installation ${installation.id}`);
        for (const repository of listed.filter((r) => !r.archived)) {
          const { owner, repo } = repository;
          const lastVerified = this.memory.get(owner, repo)?.lastVerified ?? null;
          const request: EnforceRequest = {
            owner,
            repo,
            ...(repository.defaultBranch !== undefined ? { defaultBranch: repository.defaultBranch } : {}),
            installationId: installation.id,
            trigger: { kind: "sweep", at, lastVerified },
          };
          await this.enforce(request, this.options.portsFor(octokit, request), log.child({ repository: `${owner}/${repo}` }));
          swept += 1;
        }
      } catch (error) {
        log.error({ installation: installation.id, error: error instanceof Error ? error.message : String(error) }, "enforcement sweep: cannot list an installation's repositories");
      }
    }
    log.info({ repositories: swept, installations: installations.length }, "enforcement sweep done");
    return swept;
  }

  /**
   * Every repository of an installation (just installed, or a permission just granted), one
   * after another, for the same reason.
   */
  async enforceInstallation(octokit: GitHubClient, installationId: number, trigger: EnforcementTrigger, log: Logger): Promise<void> {
    for (const { owner, repo, defaultBranch } of await installationRepositories(new GitHubSession(octokit), "listing the installation's repositories")) {
      const request: EnforceRequest = { owner, repo, ...(defaultBranch !== undefined ? { defaultBranch } : {}), installationId, trigger };
      await this.enforce(request, this.options.portsFor(octokit, request), log.child({ repository: `${owner}/${repo}` }));
    }
  }

  /**
   * Sweeps every `intervalMs`, the first time `firstMs` after start, as a job at an instant of
   * Later (`enforce-sweep`, whose handler calls sweepAndRearm). Returns a stop function.
   */
  schedule(intervalMs: number, firstMs: number): () => void {
    this.sweepIntervalMs = intervalMs;
    this.options.later.at(SWEEP_JOB.key, SWEEP_JOB, this.options.clock() + firstMs);
    return () => {
      this.sweepIntervalMs = undefined;
      this.options.later.cancelTimer(SWEEP_JOB.key);
    };
  }

  /** The sweep's job: one sweep, then the next one an interval later (unless stopped). */
  async sweepAndRearm(): Promise<void> {
    try {
      await this.sweep();
    } finally {
      if (this.sweepIntervalMs !== undefined) this.options.later.at(SWEEP_JOB.key, SWEEP_JOB, this.options.clock() + this.sweepIntervalMs);
    }
  }
}
