// Help texts of the compliance-gate command and of each of its commands.

export const USAGE = `Usage: compliance-gate <command> [options]

Commands:
  validate [DIR]                      check every policy file in DIR (default: policies)
  simulate --policies DIR CHANGE      decide a described change (YAML/JSON file, or - for stdin)
  test [DIR]                          run the policy tests in DIR/tests/*.yml (default: policies)
  explain --repo OWNER/NAME --pr N    show the checks the app would post on a pull request (GITHUB_TOKEN)
  audit verify [--public-key FILE] FILE|-
                                      check the digest (and signature) of audit records: a record,
                                      an audit comment or a JSONL export
  audit export --repo OWNER/NAME [--since DATE] [--until DATE] [--format jsonl|csv]
                                      list every merged PR and direct push of a period that reached
                                      an environment, with its audit record or marked missing (GITHUB_TOKEN)

Run 'compliance-gate <command> --help' for a command's options.
Exit codes: 0 ok, 1 the checked thing failed, 2 usage error or unreadable input.
`;

export const COMMAND_HELP: Record<string, string> = {
  validate: `Usage: compliance-gate validate [DIR]

Validates every policy file (*.yml, *.yaml) directly in DIR (default: policies).
Prints one line per error as file:line:col: field: message and exits 1 if there is
any; otherwise prints warnings (if any) and "ok: N policies (names)" and exits 0.

Warnings (exit 0): no policy covers DIR/** (anyone could change policy); a rule or
break-glass path that can never be satisfied.

Example:
  compliance-gate validate policies
`,
  simulate: `Usage: compliance-gate simulate --policies DIR CHANGE

Evaluates the change described in CHANGE (a YAML or JSON file, or - for stdin)
against the policies in DIR and prints the decision as JSON on stdout.
Exits 0 when a decision was made, whatever it is; 2 when CHANGE is invalid.

CHANGE (YAML or JSON):
  base: main                      # required
  author: carol                   # required
  files:                          # required; a string means a modified file
    - clusters/production/api.yaml
    - { path: clusters/staging/db.yaml, previous_path: clusters/production/db.yaml, status: renamed }
  repository: acme/gitops         # optional; its owner is the org of bare team slugs
  default_branch: main            # optional; default: base
  head: h2                        # optional; default: HEAD
  contributors: [carol]           # optional; the author is always one
  co_authors: [dave]              # optional; logins of Co-authored-by trailers (contributors too)
  unlinked:                       # optional: commit identities linked to no GitHub account
    - "abc1234: erin <erin@laptop>"                   # COMMIT: NAME <EMAIL> (role author)
    - { commit: def5678, role: co-author, name: frank, email: frank@example.com }
  labels: []                      # optional
  files_truncated: false          # optional
  reviews:                        # optional, chronological; commit defaults to head
    - { user: alice, state: APPROVED }
  teams: { sre: [alice, bob] }    # optional: slug or org/slug -> active members
  permissions: { alice: write }   # optional
  now: "2026-12-01T10:00:00Z"     # optional; default: the current time

Example:
  compliance-gate simulate --policies policies change.yml
`,
  test: `Usage: compliance-gate test [DIR]

Runs the policy tests in DIR/tests/*.yml and *.yaml (DIR default: policies).
Each file is a list of cases:

  - name: app team can ship an overlay bump
    change: { ...as for simulate... }
    expect:
      production: approved                 # a state
      staging: { state: not_affected }     # or state plus break_glass, freeze, files, uncovered

States: approved, pending, blocked, error, not_affected, and not_evaluated (the
environment's branches do not match the change's base).
Prints a line per failing case with expected and actual, then "N passed, N failed".
Exits 1 if any case failed, 2 if a test file is unreadable or malformed.

Example:
  compliance-gate test policies
`,
  explain: `Usage: compliance-gate explain --repo OWNER/NAME --pr N [--json] [--api-url URL]

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
read or the repository has no policies/ on the base branch; 2 on a usage error
or a missing GITHUB_TOKEN.

Example:
  GITHUB_TOKEN=$(gh auth token) compliance-gate explain --repo acme/gitops --pr 42
`,
  audit: `Usage: compliance-gate audit verify [--public-key FILE] FILE|-
       compliance-gate audit export --repo OWNER/NAME [options]

Works with the audit records the app writes when a change reaches an environment
(a comment on each merged pull request, ending with the record as JSON; for a
direct push, a compliance/audit check run on the pushed commit).

compliance-gate audit export --repo OWNER/NAME [--since DATE] [--until DATE]
    [--format jsonl|csv] [--public-key FILE] [--app-login LOGIN] [--output FILE]
  Lists every merged pull request and direct push of a period that reached an
  environment, with its record and whether it verifies, or marked missing.
  See 'compliance-gate audit export --help'.

compliance-gate audit verify [--public-key FILE] FILE|-
  Reads audit records from FILE (or - for standard input): one record as JSON,
  one or more audit comment bodies (the record follows the
  <!-- compliance-gate:audit v1 --> marker), or a JSONL export (one record or
  export row per line). Checks that each record's digest is the SHA-256 of its
  canonical JSON, and with --public-key that its Ed25519 signature verifies.
  Prints one line per record:
    ok acme/gitops#42 sha256:3f2a9c1b0d4e
    FAIL acme/gitops#43: digest mismatch
    FAIL acme/gitops#44: not signed
    MISSING acme/gitops#45: no audit record     (an export row without a record)
  and a count on stderr.

Options:
  --public-key FILE   the app's Ed25519 public key in PEM; without it only digests
                      are checked (a digest alone shows a record was not changed by
                      accident, the signature that the app wrote it)

Exits 0 when every record verifies; 1 when any fails or an export row has no
record; 2 on a usage error, unreadable input, input without any record, or a
public key that is not Ed25519 PEM.

Examples:
  compliance-gate audit verify record.json
  compliance-gate audit verify --public-key audit-signing.pub export.jsonl
  gh api repos/acme/gitops/issues/42/comments --jq '.[].body' | compliance-gate audit verify -
`,
  "audit export": `Usage: compliance-gate audit export --repo OWNER/NAME [--since DATE] [--until DATE]
         [--format jsonl|csv] [--public-key FILE] [--app-login LOGIN]
         [--output FILE] [--api-url URL] [--skip-pushes] [--quiet]

Exports an auditor's population: every pull request merged in the period (into
any branch) that touched an environment, and every direct push to a gated branch
that changed an environment's files — one row each, with the audit record the app
wrote, whether its digest (and, with --public-key, its signature) verifies, and
"missing": true where there is no record. A change without a record is judged by
the policies at its parent commit (for a merge, the base as it was at the merge),
as the app would have judged it; when its files cannot all be listed it is
included as missing, never left out.

Where the records are: a merged pull request's in the app's comment on it; a
direct push's in the compliance/audit check run the app posted on the push's
head commit (it covers the push's older commits too), or — for a violation whose
check run was never written — in the app's compliance-exception issue.

Options:
  --repo OWNER/NAME   the environment repository
  --since DATE        start of the period, included (default: 90 days before --until)
  --until DATE        end of the period, excluded (default: now)
                      DATE is YYYY-MM-DD (midnight UTC) or RFC 3339, such as
                      2026-11-01T09:00:00+01:00; --since 2026-10-01 --until
                      2026-11-01 is exactly October (UTC)
  --format FORMAT     jsonl (default): one JSON row per line, which
                      'compliance-gate audit verify' reads; or csv: a header,
                      then one line per row with the record flattened
  --public-key FILE   the app's Ed25519 public key in PEM: also check signatures
                      (without it a record's digest proves only that it was not
                      changed by accident; anyone can recompute a digest)
  --app-login LOGIN   the app's bot login, such as compliance-gate[bot]: only its
                      comments, issues and check runs (app compliance-gate) count
                      as records (recommended; without it any GitHub App's do,
                      and a push row names the app in "problems"). A comment or
                      issue by a person holding the audit marker is never a
                      record: it is ignored and reported under "problems"
  --output FILE, -o   write to FILE, whole or not at all (a temporary file beside
                      it is renamed over it when complete); default: stdout
  --api-url URL       the GitHub REST API (default: $GITHUB_API_URL, else
                      https://api.github.com); for GitHub Enterprise Server,
                      https://HOST/api/v3
  --skip-pushes       do not look for direct pushes (cheaper; the export says so)
  --quiet, -q         no progress and no summary on stderr

Environment:
  GITHUB_TOKEN        required: a token that can read the repository's contents,
                      pull requests, issues and checks (e.g. $(gh auth token))
  GITHUB_API_URL      the GitHub REST API, as --api-url

Rows are sorted by merge (or commit) time, then number. CSV columns:
  repository, kind, pull_request, title, merged_at, merged_by, merge_commit_sha,
  url, environments (env=state;…), compliant, break_glass, approvers
  (env/rule:login@commit;…), policy_commit, digest, digest_ok, signature_ok,
  missing, problems
Cells starting with = + - @ are prefixed with ' so no spreadsheet runs them.

Cost: about 2 GitHub requests per merged pull request with a record, 5 or more
without one; 1 per 100 closed pull requests listed; per gated branch, 1 per 100
commits, and 1 per commit that is not a known merge commit (4 or more when it
turns out to be a direct push: its policies, files and check runs; a push
without a record of its own also reads the check runs of the newer commits
passed over, once each). When any push lacks a check run record, 1 more per 100
compliance-exception issues updated in the period, once. Progress goes to stderr.

Exits 0 when the export was written, records missing or not; 1 when GitHub could
not be read (nothing is written); 2 on a usage error, a missing GITHUB_TOKEN or
an unreadable public key.

Examples:
  GITHUB_TOKEN=$(gh auth token) compliance-gate audit export --repo acme/gitops \\
    --since 2026-10-01 --until 2027-01-01 --app-login 'compliance-gate[bot]' \\
    --public-key audit-signing.pub --output q4.jsonl
  compliance-gate audit verify --public-key audit-signing.pub q4.jsonl
  compliance-gate audit export --repo acme/gitops --format csv -o q4.csv
`,
};
