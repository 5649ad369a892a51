// A large synthetic policy set and change, for the engine's performance test: 50 policies of
// 20 rules (over 1,000 globs) and 3,000 changed files.
import type { Policy, PolicySet } from "../../src/policy/types.js";
import type { Facts } from "../../src/engine/types.js";
import { facts, policy, review, rule } from "./build.js";

/** A small deterministic random number generator (LCG), so the workload is the same every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function largePolicySet(environments = 50, rulesPerPolicy = 20): PolicySet {
  const policies: Policy[] = [];
  for (let p = 0; p < environments; p++) {
    const env = `env-${String(p).padStart(2, "0")}`;
    const rules = [];
    for (let i = 0; i < rulesPerPolicy; i++) {
      const paths =
        i % 5 === 0
          ? [`clusters/${env}/ns-${i}/**`, `clusters/${env}/ns-${i + 1}/**`]
          : i % 5 === 1
            ? [`apps/app-${i}/overlays/${env}/**`, `apps/app-${i}/base/${env}-*.yaml`]
            : i % 5 === 2
              ? ["**/secrets/**", `clusters/${env}/**/*.sops.yaml`]
              : i % 5 === 3
                ? [`clusters/${env}/ns-${i}/*.{yaml,yml}`, `charts/${env}/templates/**`]
                : [`clusters/${env}/**`, `apps/*/overlays/${env}/**`];
      rules.push(rule(`rule ${i}`, paths, (i % 3) + 1, { teams: [`team-${i % 7}`], users: [`owner-${i}`] }, [`**/*.md`]));
    }
    policies.push(
      policy({
        environment: env,
        paths: [`clusters/${env}/**`, `apps/*/overlays/${env}/**`, `charts/${env}/**`],
        exclude: ["**/*.md", `clusters/${env}/scratch/**`],
        rules,
      }),
    );
  }
  return { policies, invalid: [] };
}

export function largeChange(files = 3000, environments = 50): Facts {
  const r = lcg(2);
  const paths: string[] = [];
  for (let i = 0; i < files; i++) {
    const e = `env-${String(Math.floor(r() * (environments + 10))).padStart(2, "0")}`;
    const k = Math.floor(r() * 5);
    paths.push(
      k === 0
        ? `clusters/${e}/ns-${Math.floor(r() * 25)}/deploy-${i}.yaml`
        : k === 1
          ? `apps/app-${Math.floor(r() * 40)}/overlays/${e}/patch-${i}.yaml`
          : k === 2
            ? `clusters/${e}/secrets/s${i}.sops.yaml`
            : k === 3
              ? `charts/${e}/templates/t${i}.yaml`
              : `docs/notes-${i}.md`,
    );
  }
  const teams: Record<string, string[]> = {};
  for (let t = 0; t < 7; t++) teams[`team-${t}`] = [`member-${t}-a`, `member-${t}-b`];
  return facts({
    files: paths,
    teams,
    reviews: [review("member-0-a"), review("member-1-a"), review("owner-3"), review("member-2-b", "CHANGES_REQUESTED")],
  });
}
