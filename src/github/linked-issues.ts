// The issues a pull request closes, as GitHub links them (`closingIssuesReferences`: keywords such as
// `Fixes #12` in its description and commits, and issues linked by hand): the "why" a merge record
// cites. GitHub's own link, not a parse of the text, so an auditor can follow it on GitHub.
import type { LinkedIssue } from "../audit/merge-why.js";
import { GitHubError, type GitHubSession } from "./client.js";

/** How many are asked for: a record lists at most this many (audit/merge-why.ts MAX_LINKED_ISSUES). */
const FIRST = 20;

const QUERY = `query($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      closingIssuesReferences(first: ${FIRST}) {
        totalCount
        nodes { number title repository { nameWithOwner } }
      }
    }
  }
}`;

interface Answer {
  data?: {
    repository?: {
      pullRequest?: {
        closingIssuesReferences?: { totalCount?: unknown; nodes?: ({ number?: unknown; title?: unknown; repository?: { nameWithOwner?: unknown } } | null)[] } | null;
      } | null;
    } | null;
  };
  errors?: { message?: string }[];
}

/**
 * The issues pull request #`number` closes, and how many GitHub links; null when GitHub answers the
 * query with errors (a server without the field, a token that may not read it): the record then
 * says it could not tell. A request that fails is GitHubError, tried again as any read.
 */
export async function closingIssues(gh: GitHubSession, owner: string, repo: string, number: number): Promise<{ issues: LinkedIssue[]; total: number } | null> {
  const baseUrl = gh.graphqlBaseUrl();
  const response = await gh.request(
    "POST /graphql",
    { query: QUERY, variables: { owner, repo, number }, ...(baseUrl !== undefined ? { baseUrl } : {}) },
    `reading the issues #${number} closes`,
  );
  const answer = response.data as Answer | undefined;
  if (answer?.errors !== undefined && answer.errors.length > 0) return null;
  const refs = answer?.data?.repository?.pullRequest?.closingIssuesReferences;
  if (refs === undefined || refs === null) throw new GitHubError(`GitHub did not say which issues #${number} closes`);
  const issues = (refs.nodes ?? []).flatMap((n): LinkedIssue[] =>
    n !== null && typeof n.number === "number" && typeof n.repository?.nameWithOwner === "string"
      ? [{ repository: n.repository.nameWithOwner, number: n.number, title: typeof n.title === "string" ? n.title : "" }]
      : [],
  );
  return { issues, total: typeof refs.totalCount === "number" ? refs.totalCount : issues.length };
}
