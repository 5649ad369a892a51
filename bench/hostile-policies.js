// Hostile policy files and folders for `npm run bench`: the worst shapes found within the bounds of a
// policy folder (200 files, 2 MiB, 256 KiB a file, 100,000 YAML nodes, 1,000 globs a list and 10,000 a
// set, 5,000,000 steps of brace counting, 20,000 patterns and 1,000,000 characters of them).
const KiB = 1024;
const FILE_BYTES = 250 * KiB;

const header = (name) => `version: 1\nenvironment: ${name}\n`;
const blockList = (indent, globs) => globs.map((g) => `${indent}- ${JSON.stringify(g)}\n`).join("");
const open = `  - name: anyone\n    paths: ['**']\n    approvals: 0\n`;

/** Minimal rules, as many as a file holds: the most YAML nodes, rules and rule globs per byte (valid). */
export function rulesFile(name) {
  let text = `${header(name)}scope:\n  paths: ['**']\nrules:\n`;
  for (let r = 0; text.length < FILE_BYTES; r++) text += `  - {name: r${r}, paths: [a], approvals: 0}\n`;
  return { path: `policies/${name}.yml`, text };
}

/** Globs of about 1,000 characters of character classes: the dearest to compile per character (valid). */
export function classesFile(name, maxChars = Infinity) {
  const globs = [];
  let chars = 0;
  for (let g = 0; chars < maxChars - 1020 && 240 > globs.length; g++) {
    const glob = `${name}-${g}/${"[ab]".repeat(255)}`.slice(0, 1020);
    globs.push(glob);
    chars += glob.length;
  }
  return { file: { path: `policies/${name}.yml`, text: `${header(name)}scope:\n  paths:\n${blockList("    ", globs)}rules:\n${open}` }, chars };
}

/** Five lists of 1,000 globs whose braces each spend their whole counting budget (refused). */
export function intricateFile(name) {
  const intricate = (n) => `${n}{{0..3}{{{0..3}{0..3}{a,b}..}}{}{}}b`;
  const list = (from) => Array.from({ length: 1000 }, (_, i) => intricate(from + i));
  const lists = [0, 1, 2, 3, 4].map((k) => list(k * 1000));
  const text =
    `${header(name)}scope:\n  paths:\n${blockList("    ", lists[0])}  exclude:\n${blockList("    ", lists[1])}rules:\n` +
    [2, 3].map((k) => `  - name: r${k}\n    paths:\n${blockList("      ", lists[k])}    approvals: 0\n`).join("") +
    `  - name: r4\n    paths: ['**']\n    exclude:\n${blockList("      ", lists[4])}    approvals: 0\n`;
  return { path: `policies/${name}.yml`, text };
}

/** The review's file: one flow list of `x` repeated, 5,000 times (refused: the list is too long). */
export function duplicatesFile(name, count = 5000) {
  return { path: `policies/${name}.yml`, text: `${header(name)}scope:\n  paths: [${Array(count).fill("x").join(",")}]\nrules:\n${open}` };
}

/** The review's folder: 200 files of 5,000 duplicate globs, 2 MiB. */
export function duplicatesFolder() {
  return Array.from({ length: 200 }, (_, i) => duplicatesFile(`e${String(i).padStart(3, "0")}`));
}

/**
 * The worst folder found: valid files of class globs up to the set's 1,000,000 characters of patterns
 * (the warnings compile them all), then intricate braces up to the set's counting steps, then minimal
 * rules up to its 100,000 YAML nodes; the files past that are not read, so nothing dearer is left.
 */
export function worstFolder() {
  const files = [];
  let chars = 0;
  for (let k = 0; chars < 1_000_000 - 2 * 1020; k++) {
    const made = classesFile(`a${k}`, 1_000_000 - chars);
    files.push(made.file);
    chars += made.chars;
  }
  files.push(intricateFile("b0"));
  for (let k = 0; files.reduce((n, f) => n + Buffer.byteLength(f.text), 0) + FILE_BYTES < 2 * 1024 * KiB; k++) files.push(rulesFile(`c${k}`));
  return files;
}
