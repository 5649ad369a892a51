// Reads a command's input file, or standard input for "-", without ever throwing.
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";

/** Largest input the CLI reads; larger inputs are refused, not truncated. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

export type Input = { ok: true; file: string; text: string } | { ok: false; message: string };

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) throw new Error(`input is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads `path` (or stdin for "-") as UTF-8; a failure is a message naming the file. */
export async function readInput(path: string, stdin: Readable): Promise<Input> {
  const file = path === "-" ? "<stdin>" : path;
  try {
    const buffer = path === "-" ? await readStream(stdin) : await readFile(path);
    if (buffer.length > MAX_INPUT_BYTES) return { ok: false, message: `${file}: larger than ${MAX_INPUT_BYTES} bytes` };
    return { ok: true, file, text: buffer.toString("utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return { ok: false, message: `${file}: cannot read: ${reason}` };
  }
}
