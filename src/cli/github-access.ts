// How CLI commands that read GitHub (explain, enforce, audit export, audit trace) get a client:
// their --repo, --api-url and --app-login flags, the token, the API URL, Octokit.
import { Octokit } from "@octokit/rest";
import { UsageError, type Io } from "./command.js";

const DEFAULT_API_URL = "https://api.github.com";

/** GitHub's rules for an owner (user or org) and a repository name. */
const REPO_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/** The `--repo OWNER/NAME` flag of `command`, checked against GitHub's rules; a mistake throws UsageError. */
export function repoFlag(command: string, value: unknown): { owner: string; repo: string } {
  if (typeof value !== "string") throw new UsageError(`${command} needs --repo OWNER/NAME`);
  const match = REPO_PATTERN.exec(value);
  if (!match || value.endsWith("/.") || value.endsWith("/..")) {
    throw new UsageError(`--repo must be OWNER/NAME, such as acme/gitops (got '${value}')`);
  }
  return { owner: match[1] as string, repo: match[2] as string };
}

/** A GitHub App's bot login, `[bot]` optional: its slug's rules (as a user's login), then the suffix. */
const APP_LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/;

/** The `--app-login LOGIN` flag as a bot login (`[bot]` added when left out), undefined when not given; a mistake throws UsageError. */
export function appLoginFlag(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !APP_LOGIN.test(value)) {
    throw new UsageError(`--app-login must be the app's bot login, such as compliance-gate[bot] (got '${String(value)}')`);
  }
  return value.endsWith("[bot]") ? value : `${value}[bot]`;
}

/** The `--api-url URL` flag without trailing slashes, undefined when not given; a mistake throws UsageError. */
export function apiUrlFlag(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isHttpUrl(value)) {
    throw new UsageError(`--api-url must be an http(s) URL, such as https://github.example.com/api/v3 (got '${String(value)}')`);
  }
  return value.replace(/\/+$/, "");
}

/** Whether `value` is an http(s) URL. */
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The web address of the GitHub server of an API URL, for links to files: github.com for
 * api.github.com, the host of a GitHub Enterprise Server's `/api/v3`, and `api.` dropped from
 * a GHE.com host (`api.acme.ghe.com` → `acme.ghe.com`).
 */
export function serverUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  if (/\/api\/v3\/?$/.test(url.pathname)) return `${url.protocol}//${url.host}`;
  if (url.hostname.startsWith("api.")) return `${url.protocol}//${url.host.slice("api.".length)}`;
  return `${url.protocol}//${url.host}`;
}

type GitHubAccess = { ok: true; octokit: Octokit; apiUrl: string } | { ok: false; message: string };

/**
 * A client for `command` from GITHUB_TOKEN and the API URL (the --api-url flag, else
 * GITHUB_API_URL, else api.github.com); `needs` says what the token must be able to read.
 */
export function githubAccess(command: string, needs: string, apiUrlFlag: string | undefined, io: Io): GitHubAccess {
  const env = io.env ?? process.env;
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) {
    return {
      ok: false,
      message: `GITHUB_TOKEN is not set. ${command} reads ${needs} with it: set it to a token that can read them, e.g. GITHUB_TOKEN=$(gh auth token).`,
    };
  }
  let apiUrl = apiUrlFlag ?? env.GITHUB_API_URL?.trim().replace(/\/+$/, "");
  if (apiUrl === undefined || apiUrl === "") apiUrl = DEFAULT_API_URL;
  if (!isHttpUrl(apiUrl)) return { ok: false, message: `GITHUB_API_URL must be an http(s) URL (got '${apiUrl}')` };
  const octokit = new Octokit({
    auth: token,
    baseUrl: apiUrl,
    userAgent: `compliance-gate-${command.replace(/\s+/g, "-")}`,
    // Octokit warns on the console (deprecations and the like): keep those on stderr, off stdout.
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => void io.stderr.write(`warning: ${message}\n`),
      error: () => undefined,
    },
  });
  return { ok: true, octokit, apiUrl };
}
