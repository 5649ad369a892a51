// The Octokit the app's Probot is built with: Probot's, without its throttling plugin. GitHub's
// limits are kept by the app's pacer (pacing.ts) per installation, shared across replicas through
// Redis; Probot's throttling would pace every write again, one a second per installation and
// process, whatever the limits allow. Probot's retries of GitHub's 5xx answers stay.
import { ProbotOctokit } from "probot";

/** Pass as Probot's `Octokit` option (createProbot's overrides), with no `redisConfig`: Redis is the app's to use. */
export const GateOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options["throttle"] as Record<string, unknown> | undefined), enabled: false },
}));
