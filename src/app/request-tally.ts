// The GitHub requests one evaluation (or audit) made, as its log line shows them.
import type { RequestCount } from "../github/client.js";

/** For the log: reads GitHub counts against the rate limit (304s are free) and writes. */
export function requestSummary(count: RequestCount): Record<string, unknown> {
  const writes = Object.entries(count.byRoute)
    // A GraphQL query is a read, whatever its method.
    .filter(([route]) => !route.startsWith("GET ") && route !== "POST /graphql")
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    total: count.total,
    reads: count.total - writes - count.notModified,
    not_modified: count.notModified,
    writes,
    by_route: { ...count.byRoute },
  };
}
