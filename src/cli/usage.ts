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

Works with the audit records the app writes when a change reaches an environment
(a comment on each merged pull request, ending with the record as JSON).

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
};
