// A reader of the Dockerfile for the tests (no docker here): instructions by stage, with their
// arguments, continuation lines joined, comments dropped and build ARGs substituted in FROM.
import { readFileSync } from "node:fs";

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ENV, … */
  keyword: string;
  /** The rest of the instruction, continuation lines joined with one space. */
  args: string;
  /** The line it starts on, 1-based. */
  line: number;
}

export interface Stage {
  /** The image it starts from, ARGs substituted. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The instructions of a Dockerfile's text, in order. */
export function instructionsOf(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { start: number; parts: string[] } | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === undefined && line.trim() === "")) return;
    const continued = line.endsWith("\\");
    const part = continued ? line.slice(0, -1).trim() : line.trim();
    pending ??= { start: index + 1, parts: [] };
    if (part !== "") pending.parts.push(part);
    if (continued) return;
    const joined = pending.parts.join(" ");
    const match = /^([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!match) throw new Error(`Dockerfile:${pending.start}: cannot read "${joined}"`);
    instructions.push({ keyword: (match[1] as string).toUpperCase(), args: match[2] ?? "", line: pending.start });
    pending = undefined;
  });
  return instructions;
}

/** The stages of a Dockerfile, global ARG defaults substituted in their FROM. */
export function stagesOf(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === "ARG" && stages.length === 0) {
      const [name, value] = instruction.args.split("=", 2);
      if (name !== undefined && value !== undefined) args.set(name.trim(), value.trim());
      continue;
    }
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? "") ?? "");
      stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** `KEY=value KEY2="value 2"` (the ENV form with `=`) as a map. */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.instructions.filter((i) => i.keyword === "ENV")) {
    for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) env.set(m[1] as string, m[3] ?? (m[2] as string));
  }
  return env;
}

/** The JSON (exec) form of CMD, ENTRYPOINT or HEALTHCHECK … CMD; the shell form is refused (signals would go to a shell). */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf("["));
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** The last instruction of `keyword` in a stage (Docker uses the last CMD, USER, …). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

export function readDockerfile(path = "Dockerfile"): Stage[] {
  return stagesOf(readFileSync(path, "utf8"));
}
