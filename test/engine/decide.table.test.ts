// Table-driven scenarios for every step of SPEC §2 and every policy option.
import { decide } from "../../src/engine/decide.js";
import type { EnvironmentDecision, Facts, IgnoredReview, State, UnlinkedIdentity } from "../../src/engine/types.js";
import type { PolicySet } from "../../src/policy/types.js";
import {
  type FactsInput,
  facts,
  file,
  invalid,
  oneOff,
  policy,
  policySet,
  recurring,
  review,
  rule,
} from "./build.js";

// --- the policies most scenarios use -------------------------------------------------------

const SRE = rule("SRE approves cluster changes", ["clusters/production/**"], 2, { teams: ["sre"] });
const APPS = rule("App owners approve overlays", ["apps/*/overlays/production/**"], 1, {
  users: ["alice", "dave"],
  teams: ["apps"],
});
const SECURITY = rule("Security approves secrets", ["**/secrets/**", "**/*.sops.yaml"], 1, { teams: ["security"] });

const production = policy({
  environment: "production",
  description: "EU production cluster",
  paths: ["clusters/production/**", "apps/*/overlays/production/**"],
  exclude: ["**/*.md"],
  rules: [SRE, APPS, SECURITY],
  break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders"] } },
});

const staging = policy({
  environment: "staging",
  paths: ["clusters/staging/**"],
  rules: [rule("Platform approves staging", ["clusters/staging/**"], 1, { teams: ["platform"] })],
});

const TEAMS: Facts["teams"] = {
  sre: ["alice", "bob", "erin", "carol"],
  "acme/security": ["sam"],
  platform: ["pat", "bob"],
  "incident-commanders": ["ivan", "carol"],
  apps: ["andy"],
};

const standard = policySet([production, staging]);

const withOptions = (options: Partial<typeof production.options>) => policySet([{ ...production, options: { ...production.options, ...options } }, staging]);
const withFreeze = (freeze: typeof production.freeze) => policySet([{ ...production, freeze }, staging]);

// --- expectations ----------------------------------------------------------------------------

interface RuleExpect {
  name?: string;
  required?: number;
  satisfied?: boolean;
  missing?: number;
  files?: string[];
  approved_by?: string[];
  ignored?: IgnoredReview[];
  needed?: { users: string[]; teams: string[]; permission?: string };
}

interface EnvExpect {
  state: State;
  break_glass?: boolean;
  title?: string;
  files?: string[];
  uncovered?: string[];
  freeze?: string | null;
  rules?: RuleExpect[];
  changes_requested?: string[];
  unlinked?: UnlinkedIdentity[];
  unlinked_blocks?: boolean;
  errors?: string[];
}

interface Scenario {
  name: string;
  set?: PolicySet;
  facts: FactsInput;
  /** Environments expected, exactly (by name); each a state or a fuller expectation. */
  expect: Record<string, State | EnvExpect>;
}

const CLUSTER = "clusters/production/api.yaml";
const OVERLAY = "apps/shop/overlays/production/kustomization.yaml";
const SECRET = "clusters/production/secrets/db.sops.yaml";
const STAGING = "clusters/staging/api.yaml";

const approvedBy = (...users: string[]) => users.map((u) => review(u));

const LAPTOP: UnlinkedIdentity = { commit: "abc1234".padEnd(40, "0"), role: "author", name: "carol", email: "carol@laptop" };
const FRANK: UnlinkedIdentity = { commit: "def5678".padEnd(40, "0"), role: "co-author", name: "frank", email: "frank@contractor.example" };

const scenarios: Scenario[] = [
  // §2 steps 1-4: touched paths, scope, not affected
  {
    name: "a change outside every scope affects nothing",
    facts: { files: ["docs/readme.md"] },
    expect: {
      production: { state: "not_affected", title: "Not affected", files: [], rules: [] },
      staging: "not_affected",
    },
  },
  {
    name: "scope.exclude keeps a path out of scope",
    facts: { files: ["clusters/production/README.md"] },
    expect: { production: { state: "not_affected", files: [] }, staging: "not_affected" },
  },
  {
    name: "an in-scope change with no reviews waits for the rule's approvers",
    facts: { files: [CLUSTER], teams: TEAMS },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 2 approvals from @acme/sre",
        files: [CLUSTER],
        uncovered: [],
        freeze: null,
        rules: [
          {
            name: SRE.name,
            required: 2,
            satisfied: false,
            missing: 2,
            files: [CLUSTER],
            approved_by: [],
            ignored: [],
            needed: { users: [], teams: ["acme/sre"] },
          },
        ],
      },
      staging: "not_affected",
    },
  },
  {
    name: "one of two approvals counts",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice") },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 1 approval from @acme/sre",
        rules: [{ approved_by: ["alice"], missing: 1 }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "two team members approve",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: {
      production: { state: "approved", title: "Approved", rules: [{ approved_by: ["alice", "bob"], satisfied: true, missing: 0, needed: { users: [], teams: [] } }] },
      staging: "not_affected",
    },
  },
  {
    name: "a rename out of scope is a change of its old path (production), and of its new path (staging)",
    facts: {
      files: [file("clusters/staging/db.yaml", "renamed", "clusters/production/db.yaml")],
      teams: TEAMS,
    },
    expect: {
      production: { state: "pending", files: ["clusters/production/db.yaml"] },
      staging: { state: "pending", files: ["clusters/staging/db.yaml"], title: "Waiting for 1 approval from @acme/platform" },
    },
  },
  {
    name: "a deletion is a change",
    facts: { files: [file(CLUSTER, "removed")], teams: TEAMS },
    expect: { production: { state: "pending", files: [CLUSTER] }, staging: "not_affected" },
  },
  {
    name: "a copy out of production touches production too",
    facts: { files: [file("clusters/staging/api.yaml", "copied", CLUSTER)], teams: TEAMS, reviews: approvedBy("pat") },
    expect: { production: { state: "pending", files: [CLUSTER] }, staging: "approved" },
  },
  // §2 step 3: truncated file lists
  {
    name: "a truncated file list is an error even when nothing visible is in scope",
    facts: { files: ["docs/readme.md"], files_truncated: true },
    expect: {
      production: { state: "error", title: "Cannot see every changed file", errors: ["cannot see every changed file"] },
      staging: { state: "error", title: "Cannot see every changed file" },
    },
  },
  {
    name: "break glass never overrides an error",
    facts: {
      files: [CLUSTER],
      files_truncated: true,
      labels: ["emergency"],
      teams: TEAMS,
      reviews: approvedBy("ivan"),
    },
    expect: { production: { state: "error", break_glass: false }, staging: "error" },
  },
  // §2 step 7: stances
  {
    name: "COMMENTED after APPROVED keeps the approval",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("alice"), review("bob"), review("alice", "COMMENTED")],
    },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "bob"] }] }, staging: "not_affected" },
  },
  {
    name: "a dismissed approval does not come back, even after a comment",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("alice"), review("bob"), review("alice", "DISMISSED"), review("alice", "COMMENTED")],
    },
    expect: {
      production: {
        state: "pending",
        rules: [{ approved_by: ["bob"], ignored: [{ user: "alice", reason: "dismissed" }], missing: 1 }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "approving again after a dismissal counts",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("alice"), review("alice", "DISMISSED"), review("alice"), review("bob")],
    },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "bob"], ignored: [] }] }, staging: "not_affected" },
  },
  {
    name: "the latest of approval and change request wins",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("alice", "CHANGES_REQUESTED"), review("alice"), review("bob")],
    },
    expect: { production: { state: "approved", changes_requested: [] }, staging: "not_affected" },
  },
  // §2 step 8: stale, author, contributors, bots, approvers
  {
    name: "an approval of an older commit is stale with dismiss_stale",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [review("alice", "APPROVED", { commit: "h1" }), review("bob")] },
    expect: {
      production: { state: "pending", rules: [{ approved_by: ["bob"], ignored: [{ user: "alice", reason: "stale" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "without dismiss_stale an older approval counts",
    set: withOptions({ dismiss_stale: false }),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [review("alice", "APPROVED", { commit: "h1" }), review("bob")] },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "bob"], ignored: [] }] }, staging: "not_affected" },
  },
  {
    name: "the author's approval does not count",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("carol", "alice") },
    expect: {
      production: {
        state: "pending",
        rules: [{ approved_by: ["alice"], ignored: [{ user: "carol", reason: "author" }], needed: { users: [], teams: ["acme/sre"] } }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "allow_author alone counts the author, though the author is also a contributor",
    set: withOptions({ allow_author: true }),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("carol", "alice") },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "carol"], ignored: [] }] }, staging: "not_affected" },
  },
  {
    name: "allow_author with allow_contributors counts the author",
    set: withOptions({ allow_author: true, allow_contributors: true }),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("carol", "alice") },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "carol"] }] }, staging: "not_affected" },
  },
  {
    name: "allow_contributors does not let the author count",
    set: withOptions({ allow_contributors: true }),
    facts: { files: [CLUSTER], teams: TEAMS, contributors: ["carol", "bob"], reviews: approvedBy("carol", "bob") },
    expect: {
      production: { state: "pending", rules: [{ approved_by: ["bob"], ignored: [{ user: "carol", reason: "author" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "a contributor's approval does not count",
    facts: { files: [CLUSTER], teams: TEAMS, contributors: ["carol", "Bob", "web-flow"], reviews: approvedBy("alice", "bob") },
    expect: {
      production: { state: "pending", rules: [{ approved_by: ["alice"], ignored: [{ user: "bob", reason: "contributor" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "the author is judged as the author even when the facts leave them out of contributors",
    set: withOptions({ allow_contributors: true }),
    facts: { files: [CLUSTER], teams: TEAMS, contributors: [], reviews: approvedBy("carol") },
    expect: { production: { state: "pending", rules: [{ ignored: [{ user: "carol", reason: "author" }] }] }, staging: "not_affected" },
  },
  {
    name: "a bot in an approving team does not count",
    facts: {
      files: [CLUSTER],
      teams: { ...TEAMS, sre: ["alice", "sre-bot[bot]"] },
      reviews: [review("alice"), review("sre-bot[bot]", "APPROVED", { bot: true })],
    },
    expect: {
      production: { state: "pending", rules: [{ approved_by: ["alice"], ignored: [{ user: "sre-bot[bot]", reason: "bot" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "a bot listed by exact login counts (logins compare case-insensitively)",
    set: policySet([
      policy({
        environment: "images",
        paths: ["images/**"],
        rules: [rule("Renovate bumps images", ["images/**"], 1, { users: ["Renovate[bot]"] })],
      }),
    ]),
    facts: { files: ["images/api.yaml"], reviews: [review("renovate[bot]", "APPROVED", { bot: true })] },
    expect: { images: { state: "approved", rules: [{ approved_by: ["renovate[bot]"] }] } },
  },
  {
    name: "a bot that is no approver is reported as not an approver",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [review("alice"), review("deploy-bot[bot]", "APPROVED", { bot: true })] },
    expect: {
      production: { state: "pending", rules: [{ ignored: [{ user: "deploy-bot[bot]", reason: "not_an_approver" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "an approval by someone outside the approvers does not count",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "sam") },
    expect: {
      production: { state: "pending", rules: [{ approved_by: ["alice"], ignored: [{ user: "sam", reason: "not_an_approver" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "logins compare case-insensitively and are reported as the review wrote them",
    facts: { files: [CLUSTER], teams: { ...TEAMS, sre: ["Alice", "BOB"] }, reviews: approvedBy("ALICE", "bob") },
    expect: { production: { state: "approved", rules: [{ approved_by: ["ALICE", "bob"] }] }, staging: "not_affected" },
  },
  {
    name: "the author is recognised whatever the case",
    facts: { files: [CLUSTER], teams: TEAMS, author: "Carol", contributors: ["Carol"], reviews: approvedBy("carol") },
    expect: { production: { state: "pending", rules: [{ ignored: [{ user: "carol", reason: "author" }] }] }, staging: "not_affected" },
  },
  {
    name: "team keys qualified in the facts match bare slugs in the policy",
    facts: { files: [CLUSTER], teams: { "acme/sre": ["alice", "bob"] }, reviews: approvedBy("alice", "bob") },
    expect: { production: "approved", staging: "not_affected" },
  },
  {
    name: "a qualified team in the policy matches a bare key in the facts",
    set: policySet([{ ...production, rules: [{ ...SRE, approvers: { teams: ["ACME/sre"], users: [] } }] }]),
    facts: { files: [CLUSTER], teams: { sre: ["alice", "bob"] }, reviews: approvedBy("alice", "bob") },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "bob"] }] } },
  },
  {
    name: "a team of another org is not the owner's team",
    facts: { files: [CLUSTER], teams: { "other/sre": ["alice", "bob"] }, reviews: approvedBy("alice", "bob") },
    expect: {
      production: {
        state: "pending",
        rules: [{ ignored: [{ user: "alice", reason: "not_an_approver" }, { user: "bob", reason: "not_an_approver" }] }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "without a repository, team slugs compare bare",
    facts: { repository: undefined, files: [CLUSTER], teams: { "acme/sre": ["alice"] }, reviews: approvedBy("alice") },
    expect: {
      production: { state: "pending", title: "Waiting for 1 approval from @sre", rules: [{ approved_by: ["alice"], needed: { users: [], teams: ["sre"] } }] },
      staging: "not_affected",
    },
  },
  {
    name: "members of child teams count through the membership the facts give",
    facts: {
      files: [CLUSTER],
      // the GitHub side lists sre with the members of its child team sre-oncall
      teams: { sre: ["alice", "oliver"], "sre-oncall": ["oliver"] },
      reviews: approvedBy("alice", "oliver"),
    },
    expect: { production: { state: "approved", rules: [{ approved_by: ["alice", "oliver"] }] }, staging: "not_affected" },
  },
  {
    name: "permission approvers: at least the permission counts, less does not",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        rules: [rule("Maintainers", ["clusters/production/**"], 2, { permission: "maintain" })],
      }),
    ]),
    facts: {
      files: [CLUSTER],
      permissions: { ALICE: "admin", bob: "write", erin: "maintain" },
      reviews: approvedBy("alice", "bob", "erin"),
    },
    expect: {
      production: {
        state: "approved",
        rules: [{ approved_by: ["alice", "erin"], ignored: [{ user: "bob", reason: "not_an_approver" }] }],
      },
    },
  },
  {
    name: "permission approvers show in the title",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        rules: [rule("Maintainers", ["clusters/production/**"], 1, { users: ["alice"], permission: "maintain" })],
      }),
    ]),
    facts: { files: [CLUSTER] },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 1 approval from @alice or anyone with maintain",
        rules: [{ needed: { users: ["alice"], teams: [], permission: "maintain" } }],
      },
    },
  },
  // §2 step 5: rules add up
  {
    name: "two applicable rules are both needed",
    facts: { files: [SECRET], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 1 approval from @acme/security",
        rules: [
          { name: SRE.name, satisfied: true, files: [SECRET] },
          { name: SECURITY.name, satisfied: false, missing: 1, files: [SECRET] },
        ],
      },
      staging: "not_affected",
    },
  },
  {
    name: "every missing rule is in the title",
    facts: { files: [SECRET, OVERLAY], teams: TEAMS },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 2 approvals from @acme/sre, 1 approval from @alice, @dave or @acme/apps and 1 approval from @acme/security",
      },
      staging: "not_affected",
    },
  },
  {
    name: "with all applicable rules satisfied the change is approved",
    facts: { files: [SECRET, OVERLAY], teams: TEAMS, reviews: approvedBy("alice", "bob", "sam") },
    expect: {
      production: {
        state: "approved",
        files: [OVERLAY, SECRET],
        rules: [
          { name: SRE.name, approved_by: ["alice", "bob"] },
          { name: APPS.name, approved_by: ["alice"], ignored: [{ user: "bob", reason: "not_an_approver" }, { user: "sam", reason: "not_an_approver" }] },
          { name: SECURITY.name, approved_by: ["sam"] },
        ],
      },
      staging: "not_affected",
    },
  },
  {
    name: "needed users leave out who counted and the author",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        rules: [rule("Named", ["clusters/production/**"], 3, { users: ["alice", "carol", "dave", "erin"] })],
      }),
    ]),
    facts: { files: [CLUSTER], reviews: approvedBy("alice") },
    expect: {
      production: {
        state: "pending",
        title: "Waiting for 2 approvals from @dave or @erin",
        rules: [{ missing: 2, needed: { users: ["dave", "erin"], teams: [] } }],
      },
    },
  },
  {
    name: "approvals: 0 is satisfied outright",
    set: policySet([
      policy({
        environment: "production",
        paths: ["docs/**", "clusters/production/**"],
        rules: [rule("Docs need nobody", ["docs/**"], 0), SRE],
      }),
    ]),
    facts: { files: ["docs/runbook.txt"] },
    expect: {
      production: {
        state: "approved",
        title: "Approved",
        rules: [{ name: "Docs need nobody", required: 0, satisfied: true, missing: 0 }],
      },
    },
  },
  // §2 step 6: uncovered paths
  {
    name: "an in-scope path no rule covers blocks",
    set: policySet([
      policy({ environment: "production", paths: ["clusters/production/**", "infra/**"], rules: [SRE] }),
    ]),
    facts: { files: [CLUSTER, "infra/vpc.tf"], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: {
      production: {
        state: "blocked",
        title: "Blocked: no rule covers 1 path",
        uncovered: ["infra/vpc.tf"],
        rules: [{ name: SRE.name, satisfied: true, files: [CLUSTER] }],
      },
    },
  },
  {
    name: "a rule's exclude leaves a path uncovered",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        rules: [{ ...SRE, exclude: ["**/kustomization.yaml"] }],
      }),
    ]),
    facts: { files: [CLUSTER, "clusters/production/kustomization.yaml", "clusters/production/b/kustomization.yaml"], teams: TEAMS },
    expect: {
      production: {
        state: "blocked",
        title: "Blocked: no rule covers 2 paths",
        uncovered: ["clusters/production/b/kustomization.yaml", "clusters/production/kustomization.yaml"],
      },
    },
  },
  {
    name: "a rule applies only through in-scope paths",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**"],
        exclude: ["clusters/production/vendor/**"],
        rules: [SRE, rule("Vendor owners", ["clusters/production/vendor/**"], 1, { users: ["victor"] })],
      }),
    ]),
    facts: { files: ["clusters/production/vendor/lib.yaml", CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: { production: { state: "approved", files: [CLUSTER], rules: [{ name: SRE.name }] } },
  },
  // §2 step 9: blockers
  {
    name: "changes requested by an approver block",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [review("alice"), review("erin"), review("bob", "CHANGES_REQUESTED")] },
    expect: {
      production: {
        state: "blocked",
        title: "Blocked: changes requested by @bob",
        changes_requested: ["bob"],
        rules: [{ approved_by: ["alice", "erin"], satisfied: true }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "changes requested on an older commit still block",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("bob", "CHANGES_REQUESTED", { commit: "h0" }), review("bob", "COMMENTED"), ...approvedBy("alice", "erin")],
    },
    expect: { production: { state: "blocked", changes_requested: ["bob"] }, staging: "not_affected" },
  },
  {
    name: "changes requested by someone outside the approvers do not block",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [...approvedBy("alice", "bob"), review("sam", "CHANGES_REQUESTED")] },
    expect: { production: { state: "approved", changes_requested: [] }, staging: "not_affected" },
  },
  {
    name: "without block_on_changes_requested a change request is only no approval",
    set: withOptions({ block_on_changes_requested: false }),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: [...approvedBy("alice", "erin"), review("bob", "CHANGES_REQUESTED")] },
    expect: { production: { state: "approved", changes_requested: [] }, staging: "not_affected" },
  },
  {
    name: "a dismissed change request no longer blocks",
    facts: {
      files: [CLUSTER],
      teams: TEAMS,
      reviews: [review("bob", "CHANGES_REQUESTED"), review("bob", "DISMISSED"), ...approvedBy("alice", "erin")],
    },
    expect: {
      production: { state: "approved", changes_requested: [], rules: [{ ignored: [{ user: "bob", reason: "dismissed" }] }] },
      staging: "not_affected",
    },
  },
  {
    name: "an active one-off freeze blocks an approved change",
    set: withFreeze([oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")]),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: {
      production: { state: "blocked", freeze: "year-end freeze", title: 'Blocked: change freeze "year-end freeze"' },
      staging: "not_affected",
    },
  },
  {
    name: "a freeze does not touch an unaffected environment",
    set: withFreeze([oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")]),
    facts: { files: [STAGING], teams: TEAMS, reviews: approvedBy("pat") },
    expect: { production: { state: "not_affected", freeze: null }, staging: "approved" },
  },
  {
    name: "a one-off freeze starts at `from` (inclusive)",
    set: withFreeze([oneOff("release", "2026-12-01T10:00:00Z", "2026-12-01T12:00:00Z")]),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: { production: { state: "blocked", freeze: "release" }, staging: "not_affected" },
  },
  {
    name: "a one-off freeze ends at `until` (exclusive)",
    set: withFreeze([oneOff("release", "2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z")]),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: { production: { state: "approved", freeze: null }, staging: "not_affected" },
  },
  {
    name: "a Saturday freeze in Auckland is active at Friday 12:00 UTC",
    set: withFreeze([recurring("NZ weekend", ["sat", "sun"], "00:00-24:00", "Pacific/Auckland")]),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob"), now: Date.parse("2026-12-04T12:00:00Z") },
    expect: { production: { state: "blocked", freeze: "NZ weekend" }, staging: "not_affected" },
  },
  {
    name: "an overnight window runs into the next day",
    set: withFreeze([recurring("night", ["fri"], "22:00-06:00", "Europe/Berlin")]),
    // Saturday 2026-12-05 05:59:59.999 in Berlin (UTC+1)
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob"), now: Date.parse("2026-12-05T04:59:59.999Z") },
    expect: { production: { state: "blocked", freeze: "night" }, staging: "not_affected" },
  },
  {
    name: "an overnight window is over at its end",
    set: withFreeze([recurring("night", ["fri"], "22:00-06:00", "Europe/Berlin")]),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob"), now: Date.parse("2026-12-05T05:00:00Z") },
    expect: { production: { state: "approved", freeze: null }, staging: "not_affected" },
  },
  {
    name: "all blockers show in the title",
    set: policySet([
      policy({
        environment: "production",
        paths: ["clusters/production/**", "infra/**"],
        rules: [SRE],
        freeze: [oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")],
      }),
    ]),
    facts: { files: [CLUSTER, "infra/a.tf", "infra/b.tf"], teams: TEAMS, reviews: [review("bob", "CHANGES_REQUESTED"), review("alice", "CHANGES_REQUESTED")] },
    expect: {
      production: {
        state: "blocked",
        title: 'Blocked: no rule covers 2 paths; change freeze "year-end freeze"; changes requested by @alice and @bob',
        changes_requested: ["alice", "bob"],
      },
    },
  },
  // §2 step 11: break glass
  {
    name: "break glass approves over a freeze",
    set: withFreeze([oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")]),
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: approvedBy("ivan") },
    expect: {
      production: {
        state: "approved",
        break_glass: true,
        freeze: "year-end freeze",
        title: "Approved by break glass (label emergency)",
        rules: [{ satisfied: false, missing: 2 }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "break glass approves over a gap in the policy",
    set: policySet([{ ...production, scope: { ...production.scope, paths: [...production.scope.paths, "infra/**"] } }]),
    facts: { files: ["infra/vpc.tf"], teams: TEAMS, labels: ["Emergency"], reviews: approvedBy("ivan") },
    expect: { production: { state: "approved", break_glass: true, uncovered: ["infra/vpc.tf"], rules: [] } },
  },
  {
    name: "break glass approves a pending change",
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: approvedBy("ivan") },
    expect: { production: { state: "approved", break_glass: true }, staging: "not_affected" },
  },
  {
    name: "break glass approves over a change request",
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: [review("ivan"), review("bob", "CHANGES_REQUESTED")] },
    expect: { production: { state: "approved", break_glass: true, changes_requested: ["bob"] }, staging: "not_affected" },
  },
  {
    name: "the break-glass label without its approvals changes nothing",
    set: withFreeze([oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")]),
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: approvedBy("alice", "bob") },
    expect: {
      production: {
        state: "blocked",
        break_glass: false,
        title: 'Blocked: change freeze "year-end freeze"; break glass needs 1 approval from @acme/incident-commanders',
      },
      staging: "not_affected",
    },
  },
  {
    name: "an approved change that carries the label is not a break-glass approval",
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: approvedBy("alice", "bob", "ivan") },
    expect: { production: { state: "approved", break_glass: false, title: "Approved" }, staging: "not_affected" },
  },
  {
    name: "break-glass approvals without the label change nothing",
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("ivan") },
    expect: { production: { state: "pending", break_glass: false }, staging: "not_affected" },
  },
  {
    name: "break-glass approvals are judged like a rule's: the author's does not count",
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: approvedBy("carol") },
    expect: { production: { state: "pending", break_glass: false }, staging: "not_affected" },
  },
  {
    name: "a stale break-glass approval does not count",
    facts: { files: [CLUSTER], teams: TEAMS, labels: ["emergency"], reviews: [review("ivan", "APPROVED", { commit: "h1" })] },
    expect: { production: { state: "pending", break_glass: false }, staging: "not_affected" },
  },
  // unlinked commit identities and co-authors (SPEC §2 facts `contributors`, `unlinked`; options.unlinked_commits)
  {
    name: "the attack: a commit linked to no account lets its writer approve under warn, and the check says so",
    // alice wrote CLUSTER on a laptop whose e-mail no account holds; only carol is a known contributor.
    facts: { files: [CLUSTER], teams: TEAMS, unlinked: [LAPTOP], reviews: approvedBy("alice", "bob") },
    expect: {
      production: { state: "approved", title: "Approved", unlinked: [LAPTOP], unlinked_blocks: false, rules: [{ approved_by: ["alice", "bob"] }] },
      staging: { state: "not_affected", unlinked: [], unlinked_blocks: false },
    },
  },
  {
    name: "the attack under block: a commit linked to no account blocks, naming commit and identity",
    set: withOptions({ unlinked_commits: "block" }),
    facts: { files: [CLUSTER], teams: TEAMS, unlinked: [LAPTOP], reviews: approvedBy("alice", "bob") },
    expect: {
      production: {
        state: "blocked",
        title: "Blocked: cannot tell who wrote abc1234: carol <carol@laptop>",
        unlinked: [LAPTOP],
        unlinked_blocks: true,
        rules: [{ satisfied: true }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "block names the first unlinked identity and counts the rest; other blockers come first",
    set: policySet([{ ...production, options: { ...production.options, unlinked_commits: "block" }, freeze: [oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2027-01-04T00:00:00Z")] }, staging]),
    facts: { files: [CLUSTER], teams: TEAMS, unlinked: [LAPTOP, FRANK] },
    expect: {
      production: { state: "blocked", title: 'Blocked: change freeze "year-end freeze"; cannot tell who wrote abc1234: carol <carol@laptop> (+1 more)' },
      staging: "not_affected",
    },
  },
  {
    name: "block with every identity linked changes nothing",
    set: withOptions({ unlinked_commits: "block" }),
    facts: { files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: { production: { state: "approved", unlinked: [], unlinked_blocks: false }, staging: "not_affected" },
  },
  {
    name: "block leaves an environment the change does not touch not_affected",
    set: policySet([production, { ...staging, options: { ...staging.options, unlinked_commits: "block" } }]),
    facts: { files: [CLUSTER], teams: TEAMS, unlinked: [LAPTOP], reviews: approvedBy("alice", "bob") },
    expect: { production: "approved", staging: { state: "not_affected", unlinked: [], unlinked_blocks: false } },
  },
  {
    name: "break glass overrides an unlinked-identity block, as any blocker",
    set: withOptions({ unlinked_commits: "block" }),
    facts: { files: [CLUSTER], teams: TEAMS, unlinked: [LAPTOP], labels: ["emergency"], reviews: approvedBy("ivan") },
    expect: { production: { state: "approved", break_glass: true, unlinked: [LAPTOP], unlinked_blocks: true }, staging: "not_affected" },
  },
  {
    name: "an unseen file list is an error, unlinked identities or not",
    set: withOptions({ unlinked_commits: "block" }),
    facts: { files: [CLUSTER], files_truncated: true, unlinked: [LAPTOP], labels: ["emergency"], teams: TEAMS, reviews: approvedBy("ivan") },
    expect: { production: { state: "error", break_glass: false }, staging: "error" },
  },
  {
    name: "a co-author is a contributor: their approval does not count",
    // The gatherer adds dave from `Co-authored-by: Dave <7+dave@users.noreply.github.com>`.
    facts: { files: [OVERLAY], teams: TEAMS, contributors: ["carol", "dave"], reviews: approvedBy("dave") },
    expect: {
      production: {
        state: "pending",
        rules: [{ approved_by: [], ignored: [{ user: "dave", reason: "contributor" }], needed: { users: ["alice"], teams: ["acme/apps"] } }],
      },
      staging: "not_affected",
    },
  },
  {
    name: "a co-author counts with allow_contributors",
    set: withOptions({ allow_contributors: true }),
    facts: { files: [OVERLAY], teams: TEAMS, contributors: ["carol", "dave"], reviews: approvedBy("dave") },
    expect: { production: "approved", staging: "not_affected" },
  },
  // invalid policies, branches, default branch
  {
    name: "an invalid policy is an error; the other environments evaluate normally",
    set: policySet(
      [staging],
      [invalid("production", [{ line: 14, column: 7, field: "rules[1].approvals", message: "must be an integer from 0 to 20" }])],
    ),
    facts: { files: [STAGING], teams: TEAMS, reviews: approvedBy("pat") },
    expect: {
      production: {
        state: "error",
        title: "Invalid policy: policies/production.yml:14:7: rules[1].approvals: must be an integer from 0 to 20",
        errors: ["must be an integer from 0 to 20"],
      },
      staging: { state: "approved", title: "Approved" },
    },
  },
  {
    name: "two invalid files naming one environment give one entry with every error",
    set: policySet(
      [],
      [
        invalid("production", [{ field: "rules", message: "required" }], "policies/production.yml"),
        invalid("production", [{ field: "environment", message: "named by two files" }], "policies/prod.yaml"),
      ],
    ),
    facts: { files: [CLUSTER] },
    expect: {
      production: {
        state: "error",
        title: "Invalid policy: policies/production.yml: rules: required (+1 more)",
        errors: ["required", "named by two files"],
      },
    },
  },
  {
    name: "an invalid policy is reported whatever the base branch",
    set: policySet([staging], [invalid("production", [{ field: "", message: "not valid YAML" }])]),
    facts: { base: "feature/x", files: [CLUSTER] },
    expect: { production: "error" },
  },
  {
    name: "two valid files naming one environment fail closed",
    set: policySet([production, { ...production, file: "policies/prod.yaml" }]),
    facts: { files: [CLUSTER] },
    expect: { production: { state: "error", errors: ['environment "production" is also named by policies/prod.yaml', 'environment "production" is also named by policies/production.yml'] } },
  },
  {
    name: "an environment whose branches do not match the base gets no entry",
    set: policySet([production, { ...staging, scope: { ...staging.scope, branches: ["staging"] } }]),
    facts: { files: [CLUSTER, STAGING], teams: TEAMS },
    expect: { production: "pending" },
  },
  {
    name: "without scope.branches a policy judges only the default branch",
    facts: { base: "develop", default_branch: "main", files: [CLUSTER] },
    expect: {},
  },
  {
    name: "branch globs match the base",
    set: policySet([{ ...production, scope: { ...production.scope, branches: ["main", "release/*"] } }, staging]),
    facts: { base: "release/1.2", files: [CLUSTER], teams: TEAMS, reviews: approvedBy("alice", "bob") },
    expect: { production: "approved" },
  },
  {
    name: "the default branch is whatever the repository says",
    facts: { base: "trunk", default_branch: "trunk", files: [STAGING], teams: TEAMS },
    expect: { production: "not_affected", staging: "pending" },
  },
];

// --- the runner ---------------------------------------------------------------------------

function check(actual: EnvironmentDecision, expected: EnvExpect): void {
  expect(actual.state).toBe(expected.state);
  expect(actual.check).toBe(`compliance/${actual.environment}`);
  expect(actual.title.length).toBeLessThanOrEqual(120);
  if (expected.break_glass !== undefined) expect(actual.break_glass).toBe(expected.break_glass);
  if (expected.title !== undefined) expect(actual.title).toBe(expected.title);
  if (expected.files !== undefined) expect(actual.files).toEqual(expected.files);
  if (expected.uncovered !== undefined) expect(actual.uncovered).toEqual(expected.uncovered);
  if (expected.freeze !== undefined) expect(actual.freeze).toBe(expected.freeze);
  if (expected.changes_requested !== undefined) expect(actual.changes_requested).toEqual(expected.changes_requested);
  if (expected.errors !== undefined) expect(actual.errors.map((e) => e.message)).toEqual(expected.errors);
  if (expected.unlinked !== undefined) expect(actual.unlinked).toEqual(expected.unlinked);
  if (expected.unlinked_blocks !== undefined) expect(actual.unlinked_blocks).toBe(expected.unlinked_blocks);
  if (expected.rules !== undefined) {
    expect(actual.rules).toHaveLength(expected.rules.length);
    expected.rules.forEach((r, i) => {
      const got = actual.rules[i];
      for (const [key, value] of Object.entries(r)) {
        if (value !== undefined) expect([key, got?.[key as keyof typeof got]]).toEqual([key, value]);
      }
    });
  }
}

describe("decide: SPEC §2 scenarios", () => {
  it("has at least 45 scenarios", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(45);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))("%s", (_name, s) => {
    const decision = decide(s.set ?? standard, facts(s.facts));
    expect(decision.environments.map((e) => e.environment)).toEqual(Object.keys(s.expect).sort());
    for (const env of decision.environments) {
      const exp = s.expect[env.environment];
      if (exp === undefined) continue;
      check(env, typeof exp === "string" ? { state: exp } : exp);
    }
  });
});
