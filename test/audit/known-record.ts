// A hand-written audit record and its canonical JSON, written out by hand (not by the code under test).
import type { MergeRecordBody } from "../../src/audit/record.js";

export const HEAD_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
export const MERGE_SHA = "f0e1d2c3b4a5968778695a4b3c2d1e0f98765432";
export const BASE_SHA = "0123456789abcdef0123456789abcdef01234567";
export const BLOB_SHA = "89abcdef0123456789abcdef0123456789abcdef";

/** In the order SPEC §4.2 lists the fields (the order a comment shows), not the canonical one. */
export function knownRecord(): MergeRecordBody {
  return {
    version: 1,
    kind: "merge",
    repository: "acme/gitops",
    pull_request: 42,
    title: "Bump api to 1.4.2 — “ünïcode” 🚀",
    description: "Bumps api for the TLS fix.\n\nFixes #12",
    linked_issues: [{ repository: "acme/gitops", number: 12, title: "TLS handshake fails" }],
    author: "carol",
    contributors: ["carol"],
    unlinked: [],
    base: "main",
    head_sha: HEAD_SHA,
    merge_commit_sha: MERGE_SHA,
    merged_by: "dave",
    merged_at: "2026-11-27T10:00:00Z",
    policy: { commit: BASE_SHA, files: { "policies/production.yml": BLOB_SHA } },
    environments: [
      {
        environment: "production",
        policy_file: "policies/production.yml",
        state: "approved",
        break_glass: false,
        break_glass_approved_by: [],
        files: 3,
        uncovered: 0,
        freeze: null,
        changes_requested: [],
        unlinked_blocks: false,
        errors: [],
        rules: [
          {
            name: "SRE approves cluster changes",
            required: 2,
            satisfied: true,
            approved_by: [
              { login: "alice", review_id: 1, commit: HEAD_SHA, submitted_at: "2026-11-27T09:00:00Z", via: ["team:acme/sre"] },
              { login: "bob", review_id: 2, commit: HEAD_SHA, submitted_at: "2026-11-27T09:30:00Z", via: ["user", "team:acme/sre"] },
            ],
          },
        ],
      },
    ],
    compliant: true,
    evaluated_at: "2026-11-27T10:00:05Z",
  };
}

/** knownRecord() in canonical JSON, keys sorted by hand. */
export const KNOWN_CANONICAL =
  '{"author":"carol","base":"main","compliant":true,"contributors":["carol"],"description":"Bumps api for the TLS fix.\\n\\nFixes #12",' +
  '"environments":[{"break_glass":false,"break_glass_approved_by":[],"changes_requested":[],"environment":"production",' +
  '"errors":[],"files":3,"freeze":null,"policy_file":"policies/production.yml","rules":[{"approved_by":[' +
  `{"commit":"${HEAD_SHA}","login":"alice","review_id":1,"submitted_at":"2026-11-27T09:00:00Z","via":["team:acme/sre"]},` +
  `{"commit":"${HEAD_SHA}","login":"bob","review_id":2,"submitted_at":"2026-11-27T09:30:00Z","via":["user","team:acme/sre"]}],` +
  '"name":"SRE approves cluster changes","required":2,"satisfied":true}],"state":"approved","uncovered":0,"unlinked_blocks":false}],' +
  `"evaluated_at":"2026-11-27T10:00:05Z","head_sha":"${HEAD_SHA}","kind":"merge",` +
  '"linked_issues":[{"number":12,"repository":"acme/gitops","title":"TLS handshake fails"}],' +
  `"merge_commit_sha":"${MERGE_SHA}",` +
  '"merged_at":"2026-11-27T10:00:00Z","merged_by":"dave",' +
  `"policy":{"commit":"${BASE_SHA}","files":{"policies/production.yml":"${BLOB_SHA}"}},` +
  '"pull_request":42,"repository":"acme/gitops","title":"Bump api to 1.4.2 — “ünïcode” 🚀","unlinked":[],"version":1}';
