// Typed builders of policies and facts for engine tests: defaults filled in as the loader would.
import type {
  Approvers,
  BreakGlass,
  Day,
  Freeze,
  InvalidPolicy,
  Options,
  Policy,
  PolicyError,
  PolicySet,
  Rule,
} from "../../src/policy/types.js";
import type { ChangedFile, Facts, FileStatus, Review, ReviewState } from "../../src/engine/types.js";

export const HEAD = "h2";
/** Tuesday 2026-12-01 10:00 UTC. */
export const NOW = Date.parse("2026-12-01T10:00:00Z");

export const approvers = (a: Partial<Approvers> = {}): Approvers => ({
  teams: a.teams ?? [],
  users: a.users ?? [],
  ...(a.permission !== undefined ? { permission: a.permission } : {}),
});

/** A rule: `rule("SRE", ["clusters/**"], 2, { teams: ["sre"] })`. */
export const rule = (
  name: string,
  paths: string[],
  approvals: number,
  who: Partial<Approvers> = {},
  exclude: string[] = [],
): Rule => ({ name, paths, exclude, approvals, approvers: approvers(who) });

export interface PolicyInput {
  environment: string;
  file?: string;
  description?: string;
  branches?: string[];
  paths: string[];
  exclude?: string[];
  rules: Rule[];
  options?: Partial<Options>;
  freeze?: Freeze[];
  break_glass?: { label: string; approvals: number; approvers: Partial<Approvers> };
}

export const DEFAULT_OPTIONS: Options = {
  allow_author: false,
  allow_contributors: false,
  dismiss_stale: true,
  block_on_changes_requested: true,
  request_reviews: false,
  unlinked_commits: "warn",
};

export function policy(p: PolicyInput): Policy {
  const bg: BreakGlass | undefined = p.break_glass
    ? { label: p.break_glass.label, approvals: p.break_glass.approvals, approvers: approvers(p.break_glass.approvers) }
    : undefined;
  return {
    file: p.file ?? `policies/${p.environment}.yml`,
    environment: p.environment,
    ...(p.description !== undefined ? { description: p.description } : {}),
    scope: {
      ...(p.branches ? { branches: p.branches } : {}),
      paths: p.paths,
      exclude: p.exclude ?? [],
    },
    rules: p.rules,
    options: { ...DEFAULT_OPTIONS, ...p.options },
    freeze: p.freeze ?? [],
    ...(bg ? { break_glass: bg } : {}),
    audit: { comment: true, issue_on_exception: true, deployment: false },
    enforce: { required_check: false },
    deploy: { environments: [p.environment] },
    verify: { statuses: [], deployments: [] },
  };
}

export const invalid = (environment: string, errors: Omit<PolicyError, "file">[], file = `policies/${environment}.yml`): InvalidPolicy => ({
  file,
  environment,
  errors: errors.map((e) => ({ file, ...e })),
});

export const policySet = (policies: Policy[], invalidPolicies: InvalidPolicy[] = []): PolicySet => ({
  policies,
  invalid: invalidPolicies,
});

export const oneOff = (name: string, from: string, until: string): Freeze => ({
  kind: "one-off",
  name,
  from: Date.parse(from),
  until: Date.parse(until),
});

/** A recurring window; `time` as in a policy file, `"HH:MM-HH:MM"`. */
export const recurring = (name: string, days: Day[], time = "00:00-24:00", timezone = "UTC"): Freeze => {
  const [start, end] = time.split("-").map((t) => {
    const [h, m] = t.split(":").map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  });
  return { kind: "recurring", name, days, start: start ?? 0, end: end ?? 1440, timezone };
};

export const review = (
  user: string,
  state: ReviewState = "APPROVED",
  extra: Partial<Omit<Review, "user" | "state">> = {},
): Review => ({ user, state, commit: extra.commit ?? HEAD, bot: extra.bot ?? false, ...extra });

export const file = (path: string, status: FileStatus = "modified", previous_path?: string): ChangedFile => ({
  path,
  status,
  ...(previous_path !== undefined ? { previous_path } : {}),
});

export type FactsInput = Partial<Omit<Facts, "files">> & { files?: (string | ChangedFile)[] };

export function facts(f: FactsInput = {}): Facts {
  const { files, ...rest } = f;
  return {
    repository: "acme/gitops",
    base: "main",
    default_branch: "main",
    head: HEAD,
    author: "carol",
    contributors: ["carol"],
    unlinked: [],
    labels: [],
    files_truncated: false,
    reviews: [],
    teams: {},
    permissions: {},
    now: NOW,
    ...rest,
    files: (files ?? []).map((x) => (typeof x === "string" ? file(x) : x)),
  };
}
