// Benchmarks of the policy engine (issue 2): decision time on a large change against a large
// policy set, compared in the same run with a naive loop of minimatch(path, glob) for every pair,
// the time to validate a 256 KiB policy file, and the time and memory to refuse hostile ones
// (issue 7's brace bombs, and the worst policy files and folders within the bounds). Prints
// figures and ratios; asserts nothing.
import { Minimatch, minimatch } from "minimatch";
import { decide } from "../lib/engine/decide.js";
import { GLOB_OPTIONS } from "../lib/policy/glob-dialect.js";
import { loadPolicySet, parsePolicyFile } from "../lib/policy/load.js";
import { policyWarnings } from "../lib/engine/warnings.js";
import { classesFile, duplicatesFile, duplicatesFolder, intricateFile, rulesFile, worstFolder } from "./hostile-policies.js";

const ENVIRONMENTS = 50;
const RULES = 20;
const FILES = 3000;
const args = new Set(process.argv.slice(2));
const NAIVE_SAMPLE = args.has("--full") ? FILES : 300;

function policyText(env) {
  const rules = [];
  for (let r = 0; r < RULES - 2; r++) {
    rules.push(`  - name: team ${r} approves
    paths: [clusters/env-${env}/team-${r}/**, apps/app-${r}/overlays/env-${env}/**]
    exclude: ["**/*.md"]
    approvals: 1
    approvers: { teams: [team-${r}], users: [lead-${r}] }`);
  }
  rules.push(`  - name: security approves secrets
    paths: ["**/secrets/**", "**/*.sops.yaml"]
    approvals: 1
    approvers: { teams: [security] }`);
  rules.push(`  - name: sre sees everything
    paths: ["clusters/env-${env}/**", "apps/*/overlays/env-${env}/**"]
    approvals: 1
    approvers: { teams: [sre] }`);
  return `version: 1
environment: env-${env}
scope:
  branches: [main]
  paths: [clusters/env-${env}/**, apps/*/overlays/env-${env}/**]
  exclude: ["**/README.md"]
rules:
${rules.join("\n")}
freeze:
  - name: weekends
    days: [sat, sun]
    timezone: Europe/Berlin
`;
}

function allGlobs(set) {
  const globs = [];
  for (const p of set.policies) {
    globs.push(...p.scope.paths, ...p.scope.exclude);
    for (const rule of p.rules) globs.push(...rule.paths, ...rule.exclude);
  }
  return globs;
}

function changeFacts() {
  const files = [];
  for (let k = 0; k < FILES; k++) {
    const env = k % ENVIRONMENTS;
    const team = k % RULES;
    const kind = Math.floor(k / ENVIRONMENTS) % 10;
    const path =
      kind < 6 ? `clusters/env-${env}/team-${team % (RULES - 2)}/svc-${k}/deployment.yaml`
      : kind < 8 ? `apps/app-${team % (RULES - 2)}/overlays/env-${env}/patch-${k}.yaml`
      : kind < 9 ? `clusters/env-${env}/team-${team % (RULES - 2)}/secrets/db-${k}.sops.yaml`
      : `docs/notes-${k}.md`;
    files.push(kind === 3 ? { path, status: "renamed", previous_path: `clusters/env-${(env + 1) % ENVIRONMENTS}/old-${k}.yaml` } : { path, status: "modified" });
  }
  const reviews = [
    { user: "alice", state: "APPROVED", commit: "h2", bot: false },
    { user: "bob", state: "APPROVED", commit: "h1", bot: false },
    { user: "carol", state: "COMMENTED", commit: "h2", bot: false },
  ];
  return {
    repository: "acme/gitops", base: "main", default_branch: "main", head: "h2", author: "dave",
    contributors: ["dave"], unlinked: [], labels: [], files, files_truncated: false, reviews,
    teams: { sre: ["alice", "bob"], security: ["erin"] }, permissions: {}, now: Date.parse("2026-12-01T10:00:00Z"),
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

function bigPolicyText(targetBytes) {
  let text = `version: 1\nenvironment: big\nscope:\n  paths: ["**"]\nrules:\n`;
  for (let r = 0; text.length < targetBytes - 400; r++) {
    text += `  - name: rule number ${r} with a descriptive name\n    paths: [clusters/c-${r}/**, apps/a-${r}/overlays/*/secrets/**]\n    exclude: ["**/*.md"]\n    approvals: 2\n    approvers: { teams: [team-${r}, sre], users: [user-${r}] }\n`;
  }
  return text;
}

const f = (ms) => `${ms.toFixed(2)} ms`;

// --- decision on a large change -------------------------------------------------------------
const files = Array.from({ length: ENVIRONMENTS }, (_, i) => ({ path: `policies/env-${i}.yml`, text: policyText(i) }));
const set = loadPolicySet(files);
if (set.invalid.length > 0) throw new Error(`benchmark policies are invalid: ${JSON.stringify(set.invalid[0].errors[0])}`);
const globs = allGlobs(set);
const facts = changeFacts();

const cold = time(() => decide(loadPolicySet(files), facts), 3);
const warm = time(() => decide(set, facts), 31);
const decision = decide(set, facts);
const states = {};
for (const e of decision.environments) states[e.state] = (states[e.state] ?? 0) + 1;

const touched = facts.files.flatMap((file) => (file.previous_path ? [file.path, file.previous_path] : [file.path]));
const sample = touched.filter((_, i) => i % Math.round(touched.length / NAIVE_SAMPLE) === 0).slice(0, NAIVE_SAMPLE);
const naiveTimes = time(() => {
  let hits = 0;
  for (const path of sample) for (const glob of globs) if (minimatch(path, glob, { dot: true })) hits++;
  return hits;
}, 1);
const naive = (naiveTimes[0] * touched.length) / sample.length;

console.log(`decision: ${FILES} changed files (${touched.length} touched paths) against ${ENVIRONMENTS} policies x ${RULES} rules (${globs.length} globs)`);
console.log(`  states: ${JSON.stringify(states)}`);
console.log(`  median per decision, warm (globs compiled once in the shared cache, as the app finds them): ${f(median(warm))}   target <= 20 ms`);
console.log(`  median per decision, cold (parse + validate + compile 50 files + decide):   ${f(median(cold))}`);
console.log(`  naive loop, minimatch(path, glob) for every pair: ${f(naive)}${sample.length < touched.length ? ` (measured on ${sample.length} of ${touched.length} paths, scaled linearly; --full measures all)` : ""}`);
console.log(`  speed-up against the naive loop: warm ${(naive / median(warm)).toFixed(0)}x, cold ${(naive / median(cold)).toFixed(0)}x   target >= 100x`);

// --- validating a 256 KiB policy file ---------------------------------------------------------
const big = bigPolicyText(256 * 1024 - 1);
const parsed = parsePolicyFile("policies/big.yml", big);
if (parsed.errors.length > 0) throw new Error(`big policy is invalid: ${JSON.stringify(parsed.errors[0])}`);
const validate = time(() => parsePolicyFile("policies/big.yml", big), 11);
console.log(`validate: a ${(Buffer.byteLength(big) / 1024).toFixed(0)} KiB policy file with ${parsed.policy.rules.length} rules: median ${f(median(validate))}   target <= 100 ms`);

// --- hostile files ------------------------------------------------------------------------------
const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(",")}]`);
const hostile = {
  "billion laughs": laughs.join("\n") + "\n",
  "10,000-deep nesting": "[".repeat(10000) + "]".repeat(10000),
  "300 KiB file": "# x\n".repeat(300 * 256),
};
for (const [name, text] of Object.entries(hostile)) {
  const t = median(time(() => parsePolicyFile("policies/hostile.yml", text), 5));
  const { errors } = parsePolicyFile("policies/hostile.yml", text);
  console.log(`rejected ${name}: median ${f(t)} (${errors[0]?.message ?? "NOT REJECTED"})`);
}

// --- brace bombs (issue 7): refused before anything is expanded or compiled --------------------
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** Time and memory (heap and RSS growth, after a full GC before and after) of one run of `fn`. */
function measured(fn) {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const start = process.hrtime.bigint();
  const result = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const peak = process.memoryUsage();
  globalThis.gc?.();
  return { result, ms, heap: Math.max(0, peak.heapUsed - before.heapUsed), rss: Math.max(0, peak.rss - before.rss) };
}
const bomb = (n) => `z${n}/{0..9}{0..9}{0..9}{0..9}{0..9}/**`;
const policyWithGlobs = (globs) =>
  `version: 1\nenvironment: evil\nscope:\n  paths:\n${globs.map((g) => `    - ${JSON.stringify(g)}\n`).join("")}rules:\n  - name: anyone\n    paths: ['**']\n    approvals: 0\n`;
const bombs = policyWithGlobs(Array.from({ length: 60 }, (_, n) => bomb(n)));
// what compliance/policy does with a head: validate the set, then (when valid) look for warnings
const refuse = () => {
  const head = loadPolicySet([{ path: "policies/evil.yml", text: bombs }]);
  return { errors: head.invalid.flatMap((i) => i.errors).length, warnings: policyWarnings(head, "policies").length };
};
refuse(); // warm up the code, not the data: nothing is cached between runs
const refusals = Array.from({ length: 11 }, () => measured(refuse));
const worst = (key) => Math.max(...refusals.map((r) => r[key]));
console.log(
  `refused a ${(Buffer.byteLength(bombs) / 1024).toFixed(1)} KiB file of 60 brace bombs (${refusals[0].result.errors} errors, one per glob): ` +
    `median ${f(median(refusals.map((r) => r.ms)))}   target <= 100 ms; ` +
    `memory, worst of 11: heap +${mb(worst("heap"))}, RSS +${mb(worst("rss"))}   target <= 50 MB`,
);

// --- hostile policy files and folders (issue 7 review): the worst shapes found within the bounds,
// read as compliance/policy reads a pull request's head (load, validate, then look for warnings)
const headCheck = (policyFiles) => {
  const head = loadPolicySet(policyFiles);
  return { valid: head.policies.length, refused: head.invalid.length, warnings: policyWarnings(head, "policies").length };
};
/** Time as the app pays it (warm code, no forced collection between runs), then memory after full collections. */
function hostileHead(name, policyFiles, target) {
  for (let i = 0; i < 3; i++) headCheck(policyFiles); // warm up the code, not the data: nothing is cached between runs
  const ms = median(time(() => headCheck(policyFiles), 9));
  const runs = Array.from({ length: 3 }, () => measured(() => headCheck(policyFiles)));
  const kib = policyFiles.reduce((n, file) => n + Buffer.byteLength(file.text), 0) / 1024;
  const { valid, refused } = runs[0].result;
  console.log(
    `  ${name}: ${policyFiles.length} file${policyFiles.length === 1 ? "" : "s"}, ${kib.toFixed(0)} KiB (${valid} valid, ${refused} refused): ` +
      `median ${f(ms)}   target <= ${target} ms; heap +${mb(Math.max(...runs.map((r) => r.heap)))}`,
  );
}
console.log("hostile policy folders, as compliance/policy reads a head (load + validate + warnings):");
hostileHead("the most minimal rules a file holds", [rulesFile("rules")], 100);
hostileHead("1,000-character globs of character classes (dearest to compile)", [classesFile("classes").file], 100);
hostileHead("five lists of 1,000 globs with intricate braces", [intricateFile("braces")], 100);
hostileHead("[x,x,x,…]: 120,000 duplicate globs in one list", [duplicatesFile("dups", 120_000)], 100);
hostileHead("the review's folder: 200 files of 5,000 duplicate globs", duplicatesFolder(), 800);
hostileHead("the worst folder found: class globs to 1,000,000 pattern characters, braces to the counting steps, rules to the YAML nodes", worstFolder(), 800);

// for scale, measured last (it leaves its garbage behind): what compiling ONE of those globs costs
const one = measured(() => new Minimatch(bomb(0), GLOB_OPTIONS).set.length);
console.log(`  for comparison, minimatch compiling one of the 60 bombs: ${f(one.ms)}, heap +${mb(one.heap)} (${one.result.toLocaleString("en-US")} patterns)`);
