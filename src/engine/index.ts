// The engine's public surface: decide, freeze windows, glob sets, and what the GitHub side must gather.
export { decide } from "./decide.js";
export { activeFreeze, isFreezeActive, nextFreezeTransition, nextTransition } from "./freeze.js";
export { compileGlob, compileGlobs, type GlobSet } from "./globs.js";
export { environmentsFor } from "./environments.js";
export { touchedEnvironments, type Change } from "./touched.js";
export { factsNeeded, type FactsNeeded, type TeamRef } from "./facts-needed.js";
export { permissionNeeded, teamsNamed, qualifyTeam, holdsAtLeast } from "./approvers.js";
export { touchedPaths } from "./paths.js";
export { titleOf, describeNeeded, describeIdentity } from "./title.js";
export type * from "./types.js";
