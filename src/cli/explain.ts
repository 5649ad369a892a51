// `compliance-gate explain --repo OWNER/NAME --pr N [--json]` (SPEC §6.6): a pull request's live
// decision, gathered and decided as the app does, printed as its checks' Markdown or as JSON.
import { explainPull } from "../app/explain.js";
import { GitHubPorts } from "../app/github-ports.js";
import { POLICY_DIR } from "../policy/folder.js";
import { decisionJson } from "../render/decision-json.js";
import { renderExplain } from "../render/explain.js";
import { shortSha } from "../render/markdown.js";
import { apiUrlFlag, githubAccess, repoFlag, serverUrlOf } from "./github-access.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate explain --repo OWNER/NAME --pr N [--json] [--api-url URL]

Reads pull request N of OWNER/NAME from GitHub, judges it by the policies at the
tip of its base branch, exactly as the app does, and prints the check the app
would post for each environment (compliance/<environment>): its title and its
Markdown summary (never cut to GitHub's size limit). With --json it prints the
decision as the JSON of 'compliance-gate simulate'.

Options:
  --repo OWNER/NAME   the environment repository
  --pr N              the pull request's number
  --json              print the decision as JSON instead of Markdown
  --api-url URL       the GitHub REST API (default: $GITHUB_API_URL, else
                      https://api.github.com); for GitHub Enterprise Server,
                      https://HOST/api/v3

Environment:
  GITHUB_TOKEN        required: a token that can read the repository's contents,
                      pull requests and commits, and the members of the teams
                      the policies name (e.g. $(gh auth token))
  GITHUB_API_URL      the GitHub REST API, as --api-url
  GITHUB_SERVER_URL   the web address for links to policy files (default: derived
                      from the API URL)

Exits 0 when a decision was printed, whatever it is; 1 when GitHub could not be
read or the repository has no ${POLICY_DIR}/ on the base branch; 2 on a usage error
or a missing GITHUB_TOKEN.

Example:
  GITHUB_TOKEN=$(gh auth token) compliance-gate explain --repo acme/gitops --pr 42
`;

export const explainCommand: Command = {
  name: "explain",
  synopsis: "explain --repo OWNER/NAME --pr N",
  summary: "show the checks the app would post on a pull request (GITHUB_TOKEN)",
  help: HELP,
  options: { repo: { type: "string" }, pr: { type: "string" }, json: { type: "boolean" }, "api-url": { type: "string" } },
  run: ({ values, positionals }, io) => {
    if (positionals.length > 0) throw new UsageError(`explain takes no arguments besides its options (got '${positionals[0] as string}')`);
    return runExplain(parseExplainArgs(values), io);
  },
};

/** What `explain` was asked for, checked. */
interface ExplainRequest {
  owner: string;
  repo: string;
  pull_number: number;
  json: boolean;
  /** The REST API's base URL, without a trailing slash. */
  apiUrl?: string;
}

/** Checks explain's flags; a mistake throws UsageError (exit 2 with the command's help). */
function parseExplainArgs(values: Record<string, unknown>): ExplainRequest {
  const { pr, json } = values;
  const { owner, repo } = repoFlag("explain", values.repo);
  if (typeof pr !== "string") throw new UsageError("explain needs --pr N, the pull request's number");
  const number = /^[1-9][0-9]{0,9}$/.test(pr) ? Number(pr) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new UsageError(`--pr must be a pull request number, such as 42 (got '${pr}')`);
  const apiUrl = apiUrlFlag(values["api-url"]);
  return { owner, repo, pull_number: number, json: json === true, ...(apiUrl !== undefined ? { apiUrl } : {}) };
}

/** Explains the decision for a pull request: the app's checks as Markdown, or the JSON of SPEC §6.2. */
async function runExplain(request: ExplainRequest, io: Io): Promise<number> {
  const env = io.env ?? process.env;
  const access = githubAccess(
    "explain",
    "the pull request, its reviews and commits, the policies and the members of the teams they name",
    request.apiUrl,
    io,
  );
  if (!access.ok) {
    io.stderr.write(`compliance-gate explain: ${access.message}\n`);
    return EXIT_USAGE;
  }
  const { octokit, apiUrl } = access;
  const { owner, repo, pull_number } = request;
  const now = (io.now ?? Date.now)();
  const gathered = await explainPull(new GitHubPorts().for(octokit, owner, repo), pull_number, now);

  if (gathered.kind === "error") {
    io.stderr.write(`compliance-gate explain: ${gathered.message}${hintFor(gathered.message, request, apiUrl)}\n`);
    return EXIT_FAILED;
  }
  if (gathered.kind === "no_policies") {
    io.stderr.write(
      `compliance-gate explain: ${owner}/${repo} has no policy files in ${POLICY_DIR}/ at ${shortSha(gathered.policyCommit)}, ` +
        `the tip of #${pull_number}'s base branch: compliance-gate leaves this pull request alone.\n`,
    );
    return EXIT_FAILED;
  }

  const { decision } = gathered;
  if (request.json) {
    for (const warning of gathered.warnings) io.stderr.write(`warning: ${warning}\n`);
    io.stdout.write(`${JSON.stringify(decisionJson(decision), null, 2)}\n`);
  } else {
    io.stdout.write(
      renderExplain(decision, {
        repository: `${owner}/${repo}`,
        pullNumber: pull_number,
        facts: gathered.facts,
        policyCommit: gathered.policyCommit,
        warnings: gathered.warnings,
        serverUrl: env.GITHUB_SERVER_URL?.trim() || serverUrlOf(apiUrl),
      }),
    );
  }
  return EXIT_OK;
}

/** What the user can do about the usual failures to read GitHub. */
function hintFor(error: string, request: ExplainRequest, apiUrl: string): string {
  if (/\berror 401\b/.test(error)) return " (is GITHUB_TOKEN valid, and not expired?)";
  if (/\berror 404\b/.test(error)) {
    return ` (does ${request.owner}/${request.repo}#${request.pull_number} exist on ${apiUrl}, and can GITHUB_TOKEN read it?)`;
  }
  if (/\berror 403\b/.test(error)) return " (does GITHUB_TOKEN have the permissions to read it, or is its rate limit used up?)";
  return "";
}
