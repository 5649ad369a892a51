// A stand-in kept while the use cases move onto the ports (see pulls.ts).
import type { GitHubSession } from "./client.js";
import { PullMemory, openPullsInto, pullsOfCommit, readPull, type PullRequest } from "./pulls.js";

export type { PullRequest } from "./pulls.js";
export { openPullsInto };

export class PullRequestReader {
  private readonly memory = new PullMemory();

  read(gh: GitHubSession, owner: string, repo: string, number: number): Promise<PullRequest> {
    return readPull(gh, this.memory, owner, repo, number);
  }
}

export async function openPullsWithHead(gh: GitHubSession, owner: string, repo: string, sha: string): Promise<PullRequest[]> {
  return (await pullsOfCommit(gh, owner, repo, sha)).filter((pull) => pull.state !== "closed" && pull.head.sha === sha);
}
