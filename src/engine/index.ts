// The engine's public surface for the app: decide, the environments a base or a change involves,
// what to gather for a pull request, freeze transitions, and the decision's words.
export { decide } from "./decide.js";
export { nextFreezeTransition } from "./freeze.js";
export { environmentsFor } from "./environments.js";
export { touchedEnvironments } from "./touched.js";
export { factsNeeded } from "./facts-needed.js";
export { describeNeeded } from "./title.js";
export type * from "./types.js";
