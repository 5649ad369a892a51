// Reads a command's inputs without ever throwing: a file or standard input for "-", a public key,
// a directory; a failure is a message naming what could not be read. And the `--public-key` flag.
import type { KeyObject } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { loadPublicKey } from "../audit/seal.js";
import type { Readable } from "node:stream";
import { UsageError } from "./command.js";

/** Largest input the CLI reads by default; larger inputs are refused, not truncated. */
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Largest audit export `audit verify` reads: a year of a busy repository's records fits. */
export const MAX_EXPORT_BYTES = 512 * 1024 * 1024;

type Input = { ok: true; file: string; text: string } | { ok: false; message: string };

async function readStream(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw new Error(`input is larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads `path` (or stdin for "-") as UTF-8, up to `limit` bytes; a failure is a message naming the file. */
export async function readInput(path: string, stdin: Readable, limit = MAX_INPUT_BYTES): Promise<Input> {
  const file = path === "-" ? "<stdin>" : path;
  try {
    if (path !== "-" && (await stat(path)).size > limit) return { ok: false, message: `${file}: larger than ${limit} bytes` };
    const buffer = path === "-" ? await readStream(stdin, limit) : await readFile(path);
    return { ok: true, file, text: buffer.toString("utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    return { ok: false, message: `${file}: cannot read: ${reason}` };
  }
}

/**
 * The `--public-key FILE` flag, undefined when not given: a file, never standard input (which
 * holds the records, or is not read at all); a mistake throws UsageError.
 */
export function publicKeyFlag(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new UsageError("--public-key needs a FILE holding the app's Ed25519 public key in PEM");
  if (value === "-") throw new UsageError("--public-key must be a file holding the app's Ed25519 public key in PEM, not standard input");
  return value;
}

/** The Ed25519 public key of `--public-key FILE`, or a message saying why it cannot be used. */
export async function readPublicKey(path: string, stdin: Readable): Promise<{ ok: true; key: KeyObject } | { ok: false; message: string }> {
  const pem = await readInput(path, stdin);
  if (!pem.ok) return { ok: false, message: `--public-key ${pem.message}` };
  const loaded = loadPublicKey(pem.text);
  if (!loaded.ok) return { ok: false, message: `--public-key ${pem.file}: ${loaded.message}` };
  return { ok: true, key: loaded.key };
}

/** Checks that `dir` is a readable directory; returns a message when it is not. */
export async function directoryProblem(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(dir);
    return info.isDirectory() ? undefined : `${dir}: not a directory`;
  } catch {
    return `${dir}: no such directory`;
  }
}
