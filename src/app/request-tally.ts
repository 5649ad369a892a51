// Counts of the GitHub requests one evaluation (or audit) made, summed over its parts, for its log line.
import type { RequestCount } from "../github/client.js";

/** Sums request counts of the parts of one evaluation (or audit). */
export class RequestTally {
  readonly count: RequestCount = { total: 0, notModified: 0, byRoute: {} };

  add(other: RequestCount): void {
    this.count.total += other.total;
    this.count.notModified += other.notModified;
    for (const [route, n] of Object.entries(other.byRoute)) this.count.byRoute[route] = (this.count.byRoute[route] ?? 0) + n;
  }

  /** For the log: reads GitHub counts against the rate limit (304s are free) and writes. */
  summary(): Record<string, unknown> {
    const writes = Object.entries(this.count.byRoute)
      // A GraphQL query is a read, whatever its method.
      .filter(([route]) => !route.startsWith("GET ") && route !== "POST /graphql")
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      total: this.count.total,
      reads: this.count.total - writes - this.count.notModified,
      not_modified: this.count.notModified,
      writes,
      by_route: this.count.byRoute,
    };
  }
}
