// `compliance-gate audit trace --repo OWNER/NAME --env ENV --app-login LOGIN [--sha SHA] [--json]` (SPEC §8.3): the
// approval chain of an environment up to a revision, walked as the app's deployment gate walks it.
import { GitHubPorts } from "../app/github-ports.js";
import { GitHubError } from "../github/client.js";
import { BranchNeeded, traceChain, UnknownEnvironment } from "../app/trace.js";
import { renderTrace, traceJson } from "../render/trace.js";
import { ENVIRONMENT_PATTERN } from "../policy/schema.js";
import { apiUrlFlag, appLoginFlag, githubAccess, repoFlag } from "./github-access.js";
import { publicKeyFlag, readPublicKey } from "./input.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";

const HELP = `Usage: compliance-gate audit trace --repo OWNER/NAME --env ENV --app-login LOGIN
         [--sha SHA] [--branch BRANCH] [--json] [--public-key FILE] [--api-url URL]

Prints the approval chain of environment ENV up to a revision: every change on
the environment's branch that touched its paths, newest first — its pull request
(or "direct push"), who approved it for ENV, the audit record that says so, and
the deployment and applied records the app wrote on its commit — or what is
missing. The walk goes back from the revision to the last revision approved for
ENV (a deployment the app approved, or an applied revision it found approved),
to the change that brought ENV under its policy, or to the repository's first
commit, at most 100 commits: past that the chain cannot be verified.

Options:
  --repo OWNER/NAME   the environment repository
  --env ENV           the environment, as its policy names it
  --sha SHA           the revision (40 hex digits); default: the tip of the
                      environment's branch (its first literal scope branch, else
                      the default branch; for globs, the one branch they match)
                      — the revision the operator applies next. Pass the sha an
                      operator reported to trace what runs.
  --branch BRANCH     the gated branch to trace (its tip, without --sha); needed
                      when the environment's branches are globs matching several
  --json              print the chain as JSON
  --app-login LOGIN   required: the app's bot login, such as compliance-gate[bot].
                      Only its comments and check runs count as records: any
                      other app (a writer's workflow posts as github-actions[bot])
                      could write one. Markers found elsewhere are listed as
                      warnings
  --public-key FILE   the app's Ed25519 public key in PEM: every record must be
                      signed and verify with it — an unsigned one does not count
                      (every record's digest is checked anyway)
  --api-url URL       the GitHub REST API (default: $GITHUB_API_URL, else
                      https://api.github.com)

Environment:
  GITHUB_TOKEN        required: a token that can read the repository's contents,
                      pull requests, issues and checks (e.g. $(gh auth token))

Exits 0 when the chain is whole; 1 when it is broken (a change without an
approving record, a revision on no gated branch, the bound reached) or GitHub
could not be read; 2 on a usage error, a missing GITHUB_TOKEN or an unknown
environment.

Example:
  GITHUB_TOKEN=$(gh auth token) compliance-gate audit trace --repo acme/gitops \\
    --env production --app-login 'compliance-gate[bot]'
`;

const SHA = /^[0-9a-f]{40}$/;
const BRANCH = /^[A-Za-z0-9._][A-Za-z0-9._/-]{0,254}$/;

export const auditTraceCommand: Command = {
  name: "audit trace",
  synopsis: "audit trace --repo OWNER/NAME --env ENV --app-login LOGIN [--sha SHA]",
  summary: "print an environment's approval chain up to a revision, and what\nis missing (GITHUB_TOKEN)",
  help: HELP,
  options: {
    repo: { type: "string" },
    env: { type: "string" },
    sha: { type: "string" },
    json: { type: "boolean" },
    "public-key": { type: "string" },
    "app-login": { type: "string" },
    branch: { type: "string" },
    "api-url": { type: "string" },
  },
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) throw new UsageError(`trace takes no arguments besides its options (got '${positionals[0] as string}')`);
    const { owner, repo } = repoFlag("trace", values.repo);
    const env = values.env;
    if (typeof env !== "string" || !ENVIRONMENT_PATTERN.test(env)) throw new UsageError("trace needs --env ENV, an environment as its policy names it (such as production)");
    const sha = values.sha;
    if (sha !== undefined && (typeof sha !== "string" || !SHA.test(sha))) throw new UsageError(`--sha must be a full commit sha, 40 hex digits (got '${String(sha)}')`);
    const appLogin = appLoginFlag(values["app-login"]);
    if (appLogin === undefined) throw new UsageError("trace needs --app-login LOGIN, the app's bot login (such as compliance-gate[bot]): without it any app's records would count");
    const keyFile = publicKeyFlag(values["public-key"]);
    const apiUrl = apiUrlFlag(values["api-url"]);
    const branch = values.branch;
    if (branch !== undefined && (typeof branch !== "string" || !BRANCH.test(branch) || branch.includes(".."))) throw new UsageError(`--branch must be a branch name (got '${String(branch)}')`);
    return runTrace({ owner, repo, env, ...(typeof sha === "string" ? { sha } : {}), ...(typeof branch === "string" ? { branch } : {}), json: values.json === true, appLogin, ...(keyFile !== undefined ? { keyFile } : {}), ...(apiUrl ? { apiUrl } : {}) }, io);
  },
};

interface TraceArgs {
  owner: string;
  repo: string;
  env: string;
  sha?: string;
  branch?: string;
  json: boolean;
  appLogin: string;
  keyFile?: string;
  apiUrl?: string;
}

async function runTrace(args: TraceArgs, io: Io): Promise<number> {
  const fail = (message: string, code: number): number => {
    io.stderr.write(`compliance-gate audit trace: ${message}\n`);
    return code;
  };
  let publicKey;
  if (args.keyFile !== undefined) {
    const read = await readPublicKey(args.keyFile, io.stdin);
    if (!read.ok) return fail(read.message, EXIT_USAGE);
    publicKey = read.key;
  }
  const access = githubAccess("audit trace", "the repository's history, pull request comments and check runs", args.apiUrl, io);
  if (!access.ok) return fail(access.message, EXIT_USAGE);
  const { owner, repo } = args;
  try {
    const ports = new GitHubPorts({ clock: io.now ?? Date.now });
    const { defaultBranch } = await ports.for(access.octokit, owner, repo).repository.read();
    const github = ports.deployments(access.octokit, owner, repo, async () => args.appLogin);
    const trace = await traceChain({ github, owner, repo, defaultBranch, environment: args.env, ...(args.sha ? { sha: args.sha } : {}), ...(args.branch ? { branch: args.branch } : {}), ...(publicKey ? { publicKey } : {}) });
    io.stdout.write(args.json ? `${JSON.stringify(traceJson(trace), null, 2)}\n` : renderTrace(trace));
    return trace.ok ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    if (error instanceof UnknownEnvironment || error instanceof BranchNeeded) return fail(error.message, EXIT_USAGE);
    if (error instanceof GitHubError) return fail(error.message, EXIT_FAILED);
    throw error;
  }
}
