// Where an environment repository keeps its policy files (SPEC §1): the one spelling of the folder.

/** The policy folder at the repository root; also the CLI's default directory. */
export const POLICY_DIR = "policies";
