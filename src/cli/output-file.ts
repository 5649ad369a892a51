// `--output FILE` of audit export: a file written whole or not at all, so an auditor never holds
// half an export. The text goes to a temporary file beside it, renamed over it when complete.
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** An output file being written: its path, and the temporary file beside it that holds the text until it is complete. */
export interface PendingOutput {
  path: string;
  temp: string;
  handle: FileHandle;
}

/** Opens the temporary file of `path`, or says why `path` cannot be written (a usage mistake: nothing was read yet). */
export async function openOutput(path: string): Promise<PendingOutput | string> {
  try {
    if ((await stat(path)).isDirectory()) return `--output ${path}: is a directory, not a file`;
  } catch {
    // no such file yet: it will be created
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    return { path, temp, handle: await open(temp, "wx") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return `--output ${path}: cannot write there: ${reason}`;
  }
}

/** Removes the temporary file: `path` is left as it was. */
export async function discardOutput(pending: PendingOutput | undefined): Promise<void> {
  if (!pending) return;
  await pending.handle.close().catch(() => undefined);
  await rm(pending.temp, { force: true });
}

/** Writes `text` to the temporary file, flushes it to disk and renames it over `path`. */
export async function commitOutput(pending: PendingOutput, text: string): Promise<void> {
  await pending.handle.writeFile(text, "utf8");
  await pending.handle.sync();
  await pending.handle.close();
  await rename(pending.temp, pending.path);
}
