// Entry point of the compliance-gate command line.
import type { Readable, Writable } from "node:stream";

export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
}

export async function main(_argv: string[], io: Io): Promise<number> {
  io.stdout.write("compliance-gate\n");
  return 0;
}
