// Facts from one head (SPEC §3.3): GitHub's files, reviews and commits lists of a pull request
// take no commit, so a push while they are read mixes two heads. The PR is read again after the
// gathering — conditionally, a free 304 when nothing changed — and the gathering is repeated
// while the PR moved, so a verdict is only ever posted with the facts of the head it is posted on.
import { GitHubError } from "../github/client.js";
import type { GatheredFacts } from "../github/pull-facts.js";
import type { FactsSource, PoliciesFound, PolicySource, PullRequest, PullRequests } from "./ports.js";

/**
 * Gatherings of one evaluation at most. A push between two gatherings is rare; three in a row
 * means someone is pushing faster than the PR can be read, and each of those pushes brings its
 * own `synchronize` event, which evaluates the PR again once this evaluation is over.
 */
export const MAX_GATHERINGS = 3;

/**
 * The head kept moving past MAX_GATHERINGS. Not silence: the evaluator fails closed on `head`,
 * the newest head read, whose own synchronize event replaces that failure with a verdict.
 */
export class HeadKeptMoving extends GitHubError {
  override readonly name = "HeadKeptMoving";

  constructor(
    readonly head: string,
    heads: readonly string[],
  ) {
    super(
      `the pull request changed while its files and reviews were read, ${MAX_GATHERINGS} times in a row ` +
        `(head ${heads.map((sha) => sha.slice(0, 7)).join(" → ")}): not evaluated, so that no verdict is posted with another commit's facts; ` +
        "the next push, review or label evaluates it again",
    );
  }
}

/** Whether two reads of a PR saw the same head, base branch and last change. */
function unchanged(before: PullRequest, after: PullRequest): boolean {
  return (
    after.head.sha === before.head.sha &&
    after.base.ref === before.base.ref &&
    after.state === before.state &&
    // Moved by every push, even one that comes back to the same commit (X → Y → X) while the lists were read.
    after.updated_at === before.updated_at
  );
}

/** The facts of one head and the policies that judge them, or no policies on the PR's base branch. */
export type HeadFacts = { kind: "facts"; gathered: GatheredFacts; found: PoliciesFound } | { kind: "none" };

/** The policies at the tip of the PR's base branch and, when there are some, its facts. */
async function gather(ports: { policies: PolicySource; facts: FactsSource }, pull: PullRequest, now: number): Promise<HeadFacts> {
  const found = await ports.policies.atBranchTip(pull.base.ref);
  if (found.kind === "none") return { kind: "none" };
  return { kind: "facts", found, gathered: await ports.facts.gather(pull, { policies: found.policies, policyCommit: found.commit, now }) };
}

/**
 * Gathers the facts of `pull` (with the policies at its base branch's tip) and confirms the PR did
 * not change meanwhile; when it did, gathers again from the PR as it is now. Returns the PR the
 * facts belong to. Only facts are confirmed: "no policies" is an answer about the base branch.
 */
export async function gatherAtOneHead(
  ports: { policies: PolicySource; facts: FactsSource; pulls: PullRequests },
  pull: PullRequest,
  now: number,
): Promise<{ pull: PullRequest; result: HeadFacts }> {
  const heads = [pull.head.sha];
  let current = pull;
  for (let gathering = 1; ; gathering += 1) {
    const result = await gather(ports, current, now);
    if (result.kind !== "facts") return { pull: current, result };
    const again = await ports.pulls.read(pull.number);
    if (unchanged(current, again)) return { pull: current, result };
    current = again;
    if (current.state !== "open") return { pull: current, result };
    if (heads.at(-1) !== current.head.sha) heads.push(current.head.sha);
    if (gathering >= MAX_GATHERINGS) throw new HeadKeptMoving(current.head.sha, heads);
  }
}
