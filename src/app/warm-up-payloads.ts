// The deliveries a replica rehearses before it says it is ready (warm-up.ts): pull_request and
// pull_request_review payloads shaped as GitHub sends them — the same fields in the same order, of
// the same sizes (20–30 KB) — about a repository that does not exist. Their jobs are never queued
// (the rehearsal's delivery ids are the app's own); only the code that handles them is exercised.

/** The repository the rehearsal's deliveries are about (an owner GitHub cannot have: logins have no dots). */
export const REHEARSAL_OWNER = "compliance-gate.warm-up";
export const REHEARSAL_REPO = "rehearsal";

type Json = Record<string, unknown>;

const API = "https://api.github.com";
const WEB = "https://github.com";
const STAMP = "2026-01-01T00:00:00Z";

function user(login: string, id: number): Json {
  const url = `${API}/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: "User",
    site_admin: false,
  };
}

const OWNER = user(REHEARSAL_OWNER, 1);
const AUTHOR = user("warm-up-author", 2);
const REVIEWER = user("warm-up-reviewer", 3);

/** The repository's *_url fields, in GitHub's order (`{/x}` templates as GitHub writes them). */
const REPOSITORY_URLS: [string, string][] = [
  ["forks_url", "/forks"],
  ["keys_url", "/keys{/key_id}"],
  ["collaborators_url", "/collaborators{/collaborator}"],
  ["teams_url", "/teams"],
  ["hooks_url", "/hooks"],
  ["issue_events_url", "/issues/events{/number}"],
  ["events_url", "/events"],
  ["assignees_url", "/assignees{/user}"],
  ["branches_url", "/branches{/branch}"],
  ["tags_url", "/tags"],
  ["blobs_url", "/git/blobs{/sha}"],
  ["git_tags_url", "/git/tags{/sha}"],
  ["git_refs_url", "/git/refs{/sha}"],
  ["trees_url", "/git/trees{/sha}"],
  ["statuses_url", "/statuses/{sha}"],
  ["languages_url", "/languages"],
  ["stargazers_url", "/stargazers"],
  ["contributors_url", "/contributors"],
  ["subscribers_url", "/subscribers"],
  ["subscription_url", "/subscription"],
  ["commits_url", "/commits{/sha}"],
  ["git_commits_url", "/git/commits{/sha}"],
  ["comments_url", "/comments{/number}"],
  ["issue_comment_url", "/issues/comments{/number}"],
  ["contents_url", "/contents/{+path}"],
  ["compare_url", "/compare/{base}...{head}"],
  ["merges_url", "/merges"],
  ["archive_url", "/{archive_format}{/ref}"],
  ["downloads_url", "/downloads"],
  ["issues_url", "/issues{/number}"],
  ["pulls_url", "/pulls{/number}"],
  ["milestones_url", "/milestones{/number}"],
  ["notifications_url", "/notifications{?since,all,participating}"],
  ["labels_url", "/labels{/name}"],
  ["releases_url", "/releases{/id}"],
  ["deployments_url", "/deployments"],
];

const FULL_NAME = `${REHEARSAL_OWNER}/${REHEARSAL_REPO}`;
const REPO_API = `${API}/repos/${FULL_NAME}`;
const REPO_WEB = `${WEB}/${FULL_NAME}`;

const REPOSITORY: Json = {
  id: 1,
  node_id: "R_1",
  name: REHEARSAL_REPO,
  full_name: FULL_NAME,
  private: true,
  owner: OWNER,
  html_url: REPO_WEB,
  description: "the deliveries a replica rehearses before it is ready",
  fork: false,
  url: REPO_API,
  ...Object.fromEntries(REPOSITORY_URLS.map(([field, path]) => [field, `${REPO_API}${path}`])),
  created_at: STAMP,
  updated_at: STAMP,
  pushed_at: STAMP,
  git_url: `git://github.com/${FULL_NAME}.git`,
  ssh_url: `git@github.com:${FULL_NAME}.git`,
  clone_url: `${REPO_WEB}.git`,
  svn_url: REPO_WEB,
  homepage: null,
  size: 100,
  stargazers_count: 0,
  watchers_count: 0,
  language: null,
  has_issues: true,
  has_projects: false,
  has_downloads: true,
  has_wiki: false,
  has_pages: false,
  has_discussions: false,
  forks_count: 0,
  mirror_url: null,
  archived: false,
  disabled: false,
  open_issues_count: 1,
  license: null,
  allow_forking: false,
  is_template: false,
  web_commit_signoff_required: false,
  topics: [],
  visibility: "private",
  forks: 0,
  open_issues: 1,
  watchers: 0,
  default_branch: "main",
  custom_properties: {},
};

const INSTALLATION: Json = { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };

function label(name: string, id: number): Json {
  return { id, node_id: `LA_${id}`, url: `${REPO_API}/labels/${name}`, name, color: "d73a4a", default: false, description: `${name} (rehearsal)` };
}

/** A 40-hex commit id for revision `revision` of PR `number`. */
function shaOf(number: number, revision: number): string {
  return `${number.toString(16).padStart(8, "0")}${revision.toString(16).padStart(8, "0")}`.padEnd(40, "0");
}

function branch(ref: string, sha: string): Json {
  return { label: `${REHEARSAL_OWNER}:${ref}`, ref, sha, user: OWNER, repo: REPOSITORY };
}

function pullRequest(number: number, revision: number, labels: Json[]): Json {
  const url = `${REPO_API}/pulls/${number}`;
  const html = `${REPO_WEB}/pull/${number}`;
  const issue = `${REPO_API}/issues/${number}`;
  const head = shaOf(number, revision);
  return {
    url,
    id: 1_000 + number,
    node_id: `PR_${number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    number,
    state: "open",
    locked: false,
    title: `Rehearsal ${number}`,
    user: AUTHOR,
    body: "A delivery the app sends itself before it is ready; never queued.",
    created_at: STAMP,
    updated_at: STAMP,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [REVIEWER],
    requested_teams: [],
    labels,
    milestone: null,
    draft: false,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${REPO_API}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${REPO_API}/statuses/${head}`,
    head: branch(`rehearsal-${number}`, head),
    base: branch("main", shaOf(0, 0)),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${REPO_API}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${REPO_API}/statuses/${head}` },
    },
    author_association: "MEMBER",
    auto_merge: null,
    active_lock_reason: null,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: revision + 1,
    additions: 10,
    deletions: 2,
    changed_files: 2,
  };
}

/** A delivery's event name and payload. */
export interface Rehearsed {
  name: string;
  payload: Json;
}

/** Pull requests the rehearsal spreads over (so that its jobs have keys of their own). */
const PULLS = 20;
const KINDS = ["opened", "synchronize", "labeled", "submitted", "unlabeled"] as const;

/**
 * The `index`-th delivery of a rehearsal: PR `index % 20 + 1`, cycling through opened,
 * synchronize, labeled, an approving review and unlabeled — the events a busy morning brings.
 */
export function rehearsal(index: number): Rehearsed {
  const number = (index % PULLS) + 1;
  const revision = Math.floor(index / PULLS);
  const kind = KINDS[Math.floor(index / PULLS) % KINDS.length] as (typeof KINDS)[number];
  const approved = label("approved-by-rehearsal", 7);
  const labels = kind === "labeled" ? [approved] : [];
  const pull = pullRequest(number, revision, labels);
  if (kind === "submitted") {
    const review: Json = {
      id: 10_000 + index,
      node_id: `PRR_${index}`,
      user: REVIEWER,
      body: null,
      commit_id: shaOf(number, revision),
      submitted_at: STAMP,
      state: "approved",
      html_url: `${REPO_WEB}/pull/${number}#pullrequestreview-${10_000 + index}`,
      pull_request_url: `${REPO_API}/pulls/${number}`,
      author_association: "MEMBER",
      _links: { html: { href: `${REPO_WEB}/pull/${number}#pullrequestreview-${10_000 + index}` }, pull_request: { href: `${REPO_API}/pulls/${number}` } },
    };
    return { name: "pull_request_review", payload: { action: "submitted", review, pull_request: pull, repository: REPOSITORY, installation: INSTALLATION, sender: REVIEWER } };
  }
  return {
    name: "pull_request",
    payload: {
      action: kind,
      number,
      pull_request: pull,
      ...(kind === "synchronize" ? { before: shaOf(number, revision - 1), after: shaOf(number, revision) } : {}),
      ...(kind === "labeled" || kind === "unlabeled" ? { label: approved } : {}),
      repository: REPOSITORY,
      installation: INSTALLATION,
      sender: kind === "labeled" || kind === "unlabeled" ? REVIEWER : AUTHOR,
    },
  };
}
