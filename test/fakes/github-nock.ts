// The in-memory GitHub (github-model.ts) served through nock at api.github.com: the adapters' tests
// send real requests through an Octokit and read the same GitHub the end-to-end test runs against.
import nock from "nock";
import type { GitHubModel } from "./github-model.js";

export const API = "https://api.github.com";

/** Answers every request to `base` from `model`, until nock.cleanAll(); returns the scope. */
export function serveWithNock(model: GitHubModel, base = API): nock.Scope {
  const scope = nock(base).persist();
  for (const method of ["get", "post", "put", "patch", "delete"] as const) {
    scope[method](/.*/).reply(function (uri, body) {
      const url = new URL(uri, base);
      const header = this.req.headers["if-none-match"];
      const answered = model.answer({
        method: method.toUpperCase(),
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        search: url.search,
        body: typeof body === "string" ? (body === "" ? undefined : (JSON.parse(body) as unknown)) : body,
        ifNoneMatch: Array.isArray(header) ? header.join(", ") : header,
      });
      return [answered.status, answered.text ?? "", answered.headers];
    });
  }
  return scope;
}
