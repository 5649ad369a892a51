// Pull requests that share a head commit share its check runs: GitHub keys a check by commit and
// name, not by pull request. This remembers the latest plan of each PR this process evaluated, by
// head commit, so that what is posted for one is the strictest verdict of all of them.
//
// Known limitation: only PRs this process has evaluated are known. A PR that shares the head but
// was only ever evaluated by another replica (or before a restart) is not, and the last
// evaluation posted wins for both, as GitHub would have it. See the README's known limitations.
import { LruCache } from "../github/lru-cache.js";
import type { HeadPlan } from "./check-plan.js";

/** `owner/repo`, lower case, and a commit: the key of the PRs that share it. */
function commitKey(repository: string, sha: string): string {
  return `${repository.toLowerCase()}@${sha}`;
}

/** The latest plan of each PR by head commit, bounded. */
export class SharedHeads {
  private readonly bySha: LruCache<string, Map<number, HeadPlan>>;
  /** Where each PR's plan is, by `owner/repo#n`, to move it when the head moves. */
  private readonly headOf: LruCache<string, string>;

  constructor(maxEntries = 5000) {
    this.bySha = new LruCache({ maxEntries });
    this.headOf = new LruCache({ maxEntries });
  }

  /** Remembers a PR's plan on its head commit, forgetting any plan it had on another commit. */
  record(repository: string, sha: string, plan: HeadPlan): void {
    this.drop(repository, plan.number);
    const key = commitKey(repository, sha);
    const plans = this.bySha.get(key) ?? new Map<number, HeadPlan>();
    plans.set(plan.number, { ...plan, checks: plan.checks.map((check) => ({ ...check })) });
    this.bySha.set(key, plans);
    this.headOf.set(`${repository.toLowerCase()}#${plan.number}`, key);
  }

  /** Forgets a PR's plan (closed, no longer judged, or found to have moved). */
  drop(repository: string, number: number): void {
    const pull = `${repository.toLowerCase()}#${number}`;
    const key = this.headOf.get(pull);
    if (key === undefined) return;
    this.headOf.delete(pull);
    const plans = this.bySha.get(key);
    plans?.delete(number);
    if (plans?.size === 0) this.bySha.delete(key);
  }

  /** The plans of the other PRs with this head commit. */
  others(repository: string, sha: string, number: number): HeadPlan[] {
    return [...(this.bySha.get(commitKey(repository, sha))?.values() ?? [])].filter((plan) => plan.number !== number);
  }
}
