// Invariants of the decision (CONVENTIONS: property-based tests of the engine).
import fc from "fast-check";
import { decide } from "../../src/engine/decide.js";
import type { ChangedFile, Decision, Facts, Review, State, UnlinkedIdentity } from "../../src/engine/types.js";
import type { Options, PolicySet } from "../../src/policy/types.js";
import { HEAD, NOW, facts, invalid, oneOff, policy, recurring, rule } from "./build.js";

const USERS = ["alice", "Bob", "carol", "dave", "erin", "ivan", "sam", "pat", "renovate[bot]"];
const PATHS = [
  "clusters/production/api.yaml",
  "clusters/production/secrets/db.sops.yaml",
  "clusters/production/README.md",
  "apps/shop/overlays/production/patch.yaml",
  "apps/shop/overlays/staging/patch.yaml",
  "clusters/staging/api.yaml",
  "infra/vpc.tf",
  "docs/runbook.md",
];

const optionsArb = fc.record<Options>({
  allow_author: fc.boolean(),
  allow_contributors: fc.boolean(),
  dismiss_stale: fc.boolean(),
  block_on_changes_requested: fc.boolean(),
  request_reviews: fc.boolean(),
  unlinked_commits: fc.constantFrom("warn", "block"),
});

const setArb = fc
  .record({
    prod: optionsArb,
    staging: optionsArb,
    freeze: fc.constantFrom("none", "active", "inactive", "weekend"),
    brokenInfra: fc.boolean(),
    withInvalid: fc.boolean(),
  })
  .map(({ prod, staging, freeze, brokenInfra, withInvalid }): PolicySet => ({
    policies: [
      policy({
        environment: "production",
        paths: ["clusters/production/**", "apps/*/overlays/production/**", ...(brokenInfra ? ["infra/**"] : [])],
        exclude: ["**/*.md"],
        rules: [
          rule("SRE", ["clusters/production/**"], 2, { teams: ["sre"], users: ["renovate[bot]"] }),
          rule("Apps", ["apps/*/overlays/production/**"], 1, { users: ["alice", "dave"], teams: ["acme/apps"] }),
          rule("Security", ["**/secrets/**"], 1, { teams: ["security"], permission: "admin" }),
        ],
        options: prod,
        freeze:
          freeze === "active"
            ? [oneOff("now", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z")]
            : freeze === "inactive"
              ? [oneOff("later", "2027-11-01T00:00:00Z", "2028-01-01T00:00:00Z")]
              : freeze === "weekend"
                ? [recurring("weekend", ["sat", "sun"], "00:00-24:00", "Europe/Berlin")]
                : [],
        break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders"] } },
      }),
      policy({
        environment: "staging",
        paths: ["clusters/staging/**", "apps/*/overlays/staging/**"],
        rules: [rule("Platform", ["**"], 1, { teams: ["platform"], permission: "write" })],
        options: staging,
      }),
    ],
    invalid: withInvalid ? [invalid("governance", [{ field: "rules", message: "required" }])] : [],
  }));

const UNLINKED: UnlinkedIdentity[] = [
  { commit: "c".repeat(40), role: "author", name: "carol", email: "carol@laptop" },
  { commit: "d".repeat(40), role: "co-author", name: "frank", email: "frank@contractor.example" },
];

const reviewArb = fc.record<Review>({
  user: fc.constantFrom(...USERS),
  state: fc.constantFrom("APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"),
  commit: fc.constantFrom(HEAD, "h1"),
  bot: fc.constant(false),
});
const withBots = (reviews: Review[]): Review[] => reviews.map((r) => ({ ...r, bot: r.user.endsWith("[bot]") }));

const fileArb = fc.oneof(
  fc.record<ChangedFile>({ path: fc.constantFrom(...PATHS), status: fc.constantFrom("added", "modified", "removed") }),
  fc
    .tuple(fc.constantFrom(...PATHS), fc.constantFrom(...PATHS), fc.constantFrom<"renamed" | "copied">("renamed", "copied"))
    .map(([path, previous_path, status]): ChangedFile => ({ path, previous_path, status })),
);

const factsArb = fc
  .record({
    author: fc.constantFrom(...USERS),
    contributors: fc.subarray(USERS),
    labels: fc.subarray(["emergency", "other"]),
    files: fc.array(fileArb, { minLength: 1, maxLength: 6 }),
    truncated: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    reviews: fc.array(reviewArb, { maxLength: 10 }).map(withBots),
    unlinked: fc.subarray(UNLINKED),
    // a Saturday in Berlin or a Tuesday
    now: fc.constantFrom(NOW, Date.parse("2026-12-05T10:00:00Z")),
  })
  .map(
    (f): Facts =>
      facts({
        author: f.author,
        contributors: f.contributors,
        labels: f.labels,
        files: f.files,
        files_truncated: f.truncated,
        reviews: f.reviews,
        unlinked: f.unlinked,
        now: f.now,
        teams: {
          sre: ["alice", "bob", "erin", "carol"],
          "acme/apps": ["dave", "pat"],
          security: ["sam"],
          platform: ["pat", "BOB"],
          "incident-commanders": ["ivan", "carol"],
        },
        permissions: { sam: "admin", ivan: "admin", pat: "write", erin: "maintain", dave: "read" },
      }),
  );

const rank: Record<State, number> = { error: 0, blocked: 0, pending: 1, approved: 2, not_affected: 3 };
const states = (d: Decision): Record<string, State> => Object.fromEntries(d.environments.map((e) => [e.environment, e.state]));

describe("decide: invariants", () => {
  it("adding an approval on the head commit never makes any environment's state worse", () => {
    fc.assert(
      fc.property(setArb, factsArb, fc.constantFrom(...USERS), (set, f, user) => {
        const before = decide(set, f);
        const after = decide(set, { ...f, reviews: [...f.reviews, { user, state: "APPROVED", commit: f.head, bot: user.endsWith("[bot]") }] });
        const a = states(after);
        for (const [env, state] of Object.entries(states(before))) {
          expect([env, rank[a[env] as State] >= rank[state]]).toEqual([env, true]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("commit identities linked to no account never make any environment's state better", () => {
    fc.assert(
      fc.property(setArb, factsArb, (set, f) => {
        const without = states(decide(set, { ...f, unlinked: [] }));
        const withThem = states(decide(set, { ...f, unlinked: UNLINKED }));
        for (const [env, state] of Object.entries(without)) {
          expect([env, rank[withThem[env] as State] <= rank[state]]).toEqual([env, true]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("the order of the files never matters", () => {
    fc.assert(
      fc.property(setArb, factsArb, fc.integer(), (set, f, seed) => {
        const shuffled = [...f.files];
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as ChangedFile, shuffled[i] as ChangedFile];
        }
        expect(decide(set, { ...f, files: shuffled })).toEqual(decide(set, f));
      }),
      { numRuns: 500 },
    );
  });

  it("a rename a → b decides like a change of both a and b", () => {
    fc.assert(
      fc.property(setArb, factsArb, fc.constantFrom(...PATHS), fc.constantFrom(...PATHS), (set, f, a, b) => {
        const renamed = decide(set, { ...f, files: [{ path: b, previous_path: a, status: "renamed" }] });
        const both = decide(set, {
          ...f,
          files: [
            { path: a, status: "removed" },
            { path: b, status: "added" },
          ],
        });
        expect(renamed).toEqual(both);
      }),
      { numRuns: 300 },
    );
  });

  it("review order matters only through each reviewer's own order", () => {
    fc.assert(
      fc.property(setArb, factsArb, fc.array(fc.nat()), (set, f, picks) => {
        // interleave the reviewers' queues differently, keeping each one's order
        const queues = new Map<string, Review[]>();
        for (const r of f.reviews) {
          const key = r.user.toLowerCase();
          queues.set(key, [...(queues.get(key) ?? []), r]);
        }
        const keys = [...queues.keys()];
        const interleaved: Review[] = [];
        let k = 0;
        while (interleaved.length < f.reviews.length) {
          const live = keys.filter((key) => (queues.get(key) as Review[]).length > 0);
          const key = live[(picks[k++] ?? 0) % live.length] as string;
          interleaved.push((queues.get(key) as Review[]).shift() as Review);
        }
        expect(decide(set, { ...f, reviews: interleaved })).toEqual(decide(set, f));
      }),
      { numRuns: 500 },
    );
  });

  it("a decision is a pure function: the same input decides the same, and nothing is mutated", () => {
    fc.assert(
      fc.property(setArb, factsArb, (set, f) => {
        const setCopy = structuredClone(set);
        const factsCopy = structuredClone(f);
        const first = decide(set, f);
        expect(decide(set, f)).toEqual(first);
        expect(decide(setCopy, factsCopy)).toEqual(first);
        expect(set).toEqual(setCopy);
        expect(f).toEqual(factsCopy);
      }),
      { numRuns: 200 },
    );
  });

  it("every decision explains itself consistently", () => {
    fc.assert(
      fc.property(setArb, factsArb, (set, f) => {
        for (const env of decide(set, f).environments) {
          expect(env.title.length).toBeGreaterThan(0);
          expect(env.title.length).toBeLessThanOrEqual(120);
          expect(env.title).not.toContain("\n");
          expect([...env.files].sort()).toEqual(env.files);
          expect(env.uncovered.every((p) => env.files.includes(p))).toBe(true);
          if (env.state === "error") expect(env.errors.length).toBeGreaterThan(0);
          if (env.break_glass) expect(env.state).toBe("approved");
          if (env.state === "not_affected") expect(env.unlinked).toEqual([]);
          if (env.unlinked_blocks) expect(env.unlinked.length).toBeGreaterThan(0);
          if (env.state === "approved" && !env.break_glass) expect(env.unlinked_blocks).toBe(false);
          if (env.state === "approved" && !env.break_glass) {
            expect(env.rules.every((r) => r.satisfied)).toBe(true);
            expect(env.uncovered).toEqual([]);
            expect(env.freeze).toBeNull();
          }
          for (const r of env.rules) {
            expect(r.missing).toBe(Math.max(0, r.required - r.approved_by.length));
            expect(r.satisfied).toBe(r.missing === 0);
            expect(r.files.length).toBeGreaterThan(0);
            const counted = new Set(r.approved_by.map((u) => u.toLowerCase()));
            expect(r.ignored.some((i) => counted.has(i.user.toLowerCase()))).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
