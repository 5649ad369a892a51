// The events that start enforcement (SPEC §5): an installation and repositories added to it (and a
// permission just granted), a push that may change policies on the default branch or an enforced
// branch, every change to a ruleset or branch protection — whose sender is who removed or weakened
// the requirement, if anything was — and a change of the default branch.
import type { GateApp } from "./deliveries.js";
import type { EnforcementTrigger } from "../engine/enforcement-drift.js";
import type { AppIdentity } from "../github/app-identity.js";
import { rulesetOf } from "../github/rulesets.js";
import { branchOf, guarded, sourceOf, type DeliveryContext, type RepositoryPayload } from "./delivery.js";
import { enforceJob } from "./enforce-service.js";
import { pushTouchesPolicies } from "./policy-push.js";
import type { Later } from "./ports.js";

interface ListedRepository {
  name: string;
  full_name: string;
}

/** Repositories a delivery lists: `owner/name` split. */
function repositoriesOf(listed: readonly ListedRepository[] | undefined): { owner: string; repo: string }[] {
  return (listed ?? []).flatMap((r) => {
    const [owner, repo] = r.full_name.split("/");
    return owner && repo ? [{ owner, repo }] : [];
  });
}

interface RulesPayload extends RepositoryPayload {
  action?: string;
  sender?: { login?: string } | null;
  repository_ruleset?: { id?: unknown; updated_at?: string } | null;
  rule?: { updated_at?: string } | null;
}

/**
 * Registers the handlers that start enforcement. `clock` dates the changes events do not date;
 * `mayChangeEnforcement` says whether a push to a branch other than the default one may change
 * what is enforced (EnforcementService.mayChangeEnforcement: a branch the policies enforce).
 */
export function onEnforcementEvents(
  app: GateApp,
  later: Later,
  identity: AppIdentity,
  clock: () => number,
  mayChangeEnforcement: (owner: string, repo: string, branch: string) => boolean,
): void {
  const now = (): string => new Date(clock()).toISOString();
  const each = async (delivery: string, installationId: number, repositories: { owner: string; repo: string; defaultBranch?: string }[], trigger: EnforcementTrigger) => {
    for (const r of repositories) {
      await later.enqueue(enforceJob({ ...r, installationId, trigger }, delivery, { name: "event", id: delivery, repository: `${r.owner}/${r.repo}` }));
    }
  };

  app.on(
    "installation.created",
    guarded(async (context) => {
      const { payload } = context;
      await each(context.id, payload.installation.id, repositoriesOf(payload.repositories), { kind: "setup", reason: "installation", at: now() });
    }),
  );
  app.on(
    "installation_repositories.added",
    guarded(async (context) => {
      const { payload } = context;
      await each(context.id, payload.installation.id, repositoriesOf(payload.repositories_added), { kind: "setup", reason: "repositories added", at: now() });
    }),
  );
  // Granting the administration permission is when requiring the checks becomes possible.
  app.on(
    "installation.new_permissions_accepted",
    guarded(async (context) => {
      // Which repositories is the installation's to say: listed when the job runs.
      const installationId = context.payload.installation.id;
      const trigger: EnforcementTrigger = { kind: "setup", reason: "permissions accepted", at: now() };
      await later.enqueue({ kind: "enforce-installation", key: `enforce-installation:${installationId}:${context.id}`, installationId, payload: { trigger }, log: { name: "event", id: context.id }, priority: "bulk" });
    }),
  );

  app.on(
    "push",
    guarded(async (context) => {
      const { payload } = context;
      const source = sourceOf(payload);
      const branch = branchOf(payload.ref);
      if (!source || branch === undefined || payload.deleted) return;
      // Only the default branch's policies, and an enforced branch's own, decide what is required:
      // a push anywhere else (a new feature branch) starts nothing. A branch created where the
      // policies enforce it brings its own policies with it.
      const isDefault = branch === payload.repository.default_branch;
      if (!isDefault && !mayChangeEnforcement(source.owner, source.repo, branch)) return;
      // Not knowing whether policies changed costs a few reads; missing a change leaves a branch unguarded.
      if (!payload.created && pushTouchesPolicies(payload) === "no") return;
      await later.enqueue(enforceJob({ ...source, trigger: { kind: "setup", reason: `policy change on ${branch}`, at: now() } }, context.id, { name: "event", id: context.id }));
    }),
  );

  const rulesChanged = guarded(async (context: DeliveryContext<RulesPayload>) => {
    const { payload } = context;
    const source = sourceOf(payload);
    // An organization's ruleset names no repository: the sweep looks at every repository it applies to.
    if (!source) return;
    const sender = payload.sender?.login ?? null;
    // This app's own writes come back as events: nothing was weakened by them.
    if (sender !== null && sender.toLowerCase() === (await identity.botLogin().catch(() => "")).toLowerCase()) return;
    const event = `${context.name}.${payload.action ?? ""}`;
    // GitHub dates an edit in the payload; a deletion's updated_at is the last edit before it, which says nothing of the deletion.
    const edited = payload.action === "edited" ? (payload.repository_ruleset?.updated_at ?? payload.rule?.updated_at) : undefined;
    const changedAt = edited !== undefined && Number.isFinite(Date.parse(edited)) ? new Date(edited).toISOString() : null;
    // The ruleset as the event shows it is evidence by itself: another run may have restored it before this one looks.
    const shown = payload.repository_ruleset;
    const ruleset =
      context.name === "repository_ruleset" && shown && typeof shown.id === "number" && (payload.action === "deleted" || payload.action === "edited")
        ? { state: rulesetOf(shown as Parameters<typeof rulesetOf>[0], shown.id), deleted: payload.action === "deleted" }
        : undefined;
    await later.enqueue(enforceJob({ ...source, trigger: { kind: "rules_changed", event, sender, at: now(), changedAt, ...(ruleset ? { ruleset } : {}) } }, context.id, { name: "event", id: context.id }));
  });
  app.on(["repository_ruleset", "branch_protection_rule", "branch_protection_configuration"], rulesChanged);

  // The default branch changed: its policies now say what is enforced. A switch to a branch
  // without policies removes nothing; one to policies that enforce less is reported, naming who switched.
  app.on(
    "repository.edited",
    guarded(async (context) => {
      const { payload } = context;
      const changes = (payload as { changes?: { default_branch?: unknown } }).changes;
      if (changes?.default_branch === undefined) return;
      const source = sourceOf(payload);
      if (!source) return;
      const sender = payload.sender?.login ?? null;
      await later.enqueue(enforceJob({ ...source, trigger: { kind: "rules_changed", event: "repository.edited", sender, at: now() } }, context.id, { name: "event", id: context.id }));
    }),
  );
}
