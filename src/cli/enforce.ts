// `compliance-gate enforce --repo OWNER/NAME --app-id N [--apply] [--json]` (SPEC §5): what the
// policies want required, what GitHub requires now and the difference, like `terraform plan`;
// with --apply, the difference applied. The same find → compare → apply as the app's.
import { Enforcer, EnforcementMemory } from "../app/enforce.js";
import { GitHubError } from "../github/client.js";
import { GitHubPorts } from "../app/github-ports.js";
import { enforcementPlanJson, otherAppsWarning, renderEnforcementPlan } from "../render/enforcement-plan.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";
import { apiUrlFlag, githubAccess, repoFlag } from "./github-access.js";

const HELP = `Usage: compliance-gate enforce --repo OWNER/NAME --app-id N [--apply [--force]] [--json] [--api-url URL]

Shows which checks the policies of OWNER/NAME want required on which branches
(enforce.required_check), what GitHub requires now (rulesets, the organization's
included, and classic branch protection) and the changes that would make the
two agree, like 'terraform plan'. With --apply, makes them: a repository ruleset
named compliance-gate, or the branch protection's required checks where a
branch is protected classically (another's checks are kept). Checks are pinned
to the app: only the app with id N can satisfy them.

Options:
  --repo OWNER/NAME   the environment repository
  --app-id N          compliance-gate's GitHub App id (default: $COMPLIANCE_APP_ID)
  --apply             make the changes (needs a token that may administer the
                      repository); refused when GitHub takes the checks from
                      another app id now (a wrong --app-id?), unless --force
  --force             with --apply: apply even so
  --json              print the plan as JSON
  --api-url URL       the GitHub REST API (default: $GITHUB_API_URL, else
                      https://api.github.com)

Environment:
  GITHUB_TOKEN        required: a token that can read the repository's policies
                      and rules (and, with --apply, administer it)

Exits 0 when GitHub requires what the policies want (after --apply: when every
change was made); 1 when a difference remains or GitHub could not be read;
2 on a usage error or a missing GITHUB_TOKEN.

Example:
  GITHUB_TOKEN=$(gh auth token) compliance-gate enforce --repo acme/gitops --app-id 123456
`;

export const enforceCommand: Command = {
  name: "enforce",
  synopsis: "enforce --repo OWNER/NAME --app-id N [--apply]",
  summary: "plan (or --apply) the required checks the policies want (GITHUB_TOKEN)",
  help: HELP,
  options: { repo: { type: "string" }, "app-id": { type: "string" }, apply: { type: "boolean" }, force: { type: "boolean" }, json: { type: "boolean" }, "api-url": { type: "string" } },
  run: ({ values, positionals }, io) => {
    if (positionals.length > 0) throw new UsageError(`enforce takes no arguments besides its options (got '${positionals[0] as string}')`);
    const { owner, repo } = repoFlag("enforce", values.repo);
    const raw = typeof values["app-id"] === "string" ? values["app-id"] : (io.env ?? process.env).COMPLIANCE_APP_ID?.trim();
    if (raw === undefined || raw === "") throw new UsageError("enforce needs --app-id N, compliance-gate's GitHub App id (the source the checks are pinned to)");
    if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw new UsageError(`--app-id must be a GitHub App id, such as 123456 (got '${raw}')`);
    const apiUrl = apiUrlFlag(values["api-url"]);
    return runEnforce({ owner, repo, appId: Number(raw), apply: values.apply === true, force: values.force === true, json: values.json === true, ...(apiUrl !== undefined ? { apiUrl } : {}) }, io);
  },
};

async function runEnforce(request: { owner: string; repo: string; appId: number; apply: boolean; force: boolean; json: boolean; apiUrl?: string }, io: Io): Promise<number> {
  const access = githubAccess("enforce", "the policies, rulesets and branch protection", request.apiUrl, io);
  if (!access.ok) {
    io.stderr.write(`compliance-gate enforce: ${access.message}\n`);
    return EXIT_USAGE;
  }
  const ports = new GitHubPorts().enforcement(access.octokit, request.owner, request.repo, {
    // The command opens no exception issue: the person applying sees the plan.
    botLogin: () => Promise.reject(new GitHubError("the command line opens no exception issue")),
  });
  const now = (io.now ?? Date.now)();
  const enforce = (apply: boolean) =>
    new Enforcer(new EnforcementMemory(), () => now).enforce(ports, {
      trigger: { kind: "setup", reason: "compliance-gate enforce", at: new Date(now).toISOString() },
      apply,
      appId: request.appId,
      report: false,
    });
  let outcome;
  try {
    outcome = await enforce(false);
    const warning = otherAppsWarning(outcome.view.plan);
    // Warned before anything is written: a wrong --app-id would pin the checks to an app that never posts them.
    if (warning !== null) io.stderr.write(`compliance-gate enforce: warning: ${warning}\n`);
    if (request.apply && warning !== null && !request.force && outcome.kind === "planned") {
      io.stdout.write(request.json ? `${JSON.stringify(enforcementPlanJson(outcome.view), null, 2)}\n` : renderEnforcementPlan(outcome.view));
      io.stderr.write("compliance-gate enforce: nothing applied: check --app-id, or run again with --apply --force to apply anyway\n");
      return EXIT_FAILED;
    }
    if (request.apply && outcome.kind === "planned") outcome = await enforce(true);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    io.stderr.write(`compliance-gate enforce: ${error.message}\n`);
    return EXIT_FAILED;
  }
  io.stdout.write(request.json ? `${JSON.stringify(enforcementPlanJson(outcome.view), null, 2)}\n` : renderEnforcementPlan(outcome.view));
  return outcome.kind === "in_sync" || outcome.kind === "no_policies" || (outcome.kind === "applied" && (outcome.view.applied?.failed.length ?? 0) === 0) ? EXIT_OK : EXIT_FAILED;
}
