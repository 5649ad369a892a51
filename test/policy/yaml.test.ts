// The generic YAML reader: values, field positions, errors, and hostile input rejected fast.
import fc from "fast-check";
import { formatPolicyError } from "../../src/policy/errors.js";
import { parsePolicyFile } from "../../src/policy/load.js";
import { fieldPath, locateNearest, parentField, parseYaml } from "../../src/policy/yaml.js";

const FILE = "f.yml";

function errorsOf(text: string, limits?: Parameters<typeof parseYaml>[2]): string[] {
  return parseYaml(FILE, text, limits).errors.map(formatPolicyError);
}

describe("values", () => {
  test("uses the core schema: timestamps stay strings, YAML 1.1 booleans are strings, no merge keys", () => {
    const parsed = parseYaml(FILE, "at: 2026-12-20T00:00:00Z\nday: 2026-12-20\nyes: yes\non: off\nn: 0x10\nf: 1.5\nb: true\nz: ~\nm: &m { a: 1 }\nk: { <<: *m }\n");
    expect(parsed.errors).toEqual([]);
    expect(parsed.value).toEqual({
      at: "2026-12-20T00:00:00Z",
      day: "2026-12-20",
      yes: "yes",
      on: "off",
      n: 16,
      f: 1.5,
      b: true,
      z: null,
      m: { a: 1 },
      k: { "<<": { a: 1 } },
    });
  });

  test("a top-level sequence or scalar is a value like any other", () => {
    expect(parseYaml(FILE, "- a\n- b\n").value).toEqual(["a", "b"]);
    expect(parseYaml(FILE, "hello\n").value).toBe("hello");
    expect(parseYaml(FILE, "~\n").value).toBeNull();
  });

  test("a key named __proto__ is plain data", () => {
    const value = parseYaml(FILE, "__proto__: { polluted: true }\n").value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("positions", () => {
  const text = [
    "version: 1", // 1
    "rules:", // 2
    "  - name: SRE", // 3
    '    "paths": [a/**, "b/**"]', // 4
    "    approvals:", // 5
    "    approvers: &who { teams: [sre] }", // 6
    "  - name: second", // 7
    "    approvers: *who", // 8
    "    note: |", // 9
    "      text", // 10
    "    tagged: !!str 5", // 11
    "", // 12
  ].join("\n");
  const parsed = parseYaml(FILE, text);

  test.each<[string, "key" | "value", [number, number] | undefined]>([
    ["", "value", [1, 1]],
    ["", "key", [1, 1]],
    ["version", "key", [1, 1]],
    ["version", "value", [1, 10]],
    ["rules", "value", [3, 3]],
    ["rules[0]", "value", [3, 5]],
    ["rules[0]", "key", [3, 5]],
    ["rules[0].name", "value", [3, 11]],
    ["rules[0].paths", "key", [4, 5]],
    ["rules[0].paths", "value", [4, 14]],
    ["rules[0].paths[1]", "value", [4, 21]],
    // An empty value is located at its key.
    ["rules[0].approvals", "value", [5, 5]],
    // An anchor or tag starts the node it belongs to.
    ["rules[0].approvers", "value", [6, 16]],
    ["rules[0].approvers.teams[0]", "value", [6, 31]],
    ["rules[1].approvers", "value", [8, 16]],
    // Fields reached through an alias are located where the anchored node is written.
    ["rules[1].approvers.teams", "key", [6, 23]],
    ["rules[1].approvers.teams[0]", "value", [6, 31]],
    // A block scalar starts at its `|` or `>`.
    ["rules[1].note", "value", [9, 11]],
    ["rules[1].tagged", "value", [11, 13]],
    ["rules[2]", "value", undefined],
    ["rules[0].approvers.users", "value", undefined],
  ])("%s (%s)", (field, part, expected) => {
    const position = parsed.locate(field, part);
    expect(position ? [position.line, position.column] : undefined).toEqual(expected);
  });

  test("locateNearest falls back to the key of the nearest field that is there", () => {
    expect(locateNearest(parsed.locate, "rules[0].approvers.users")).toEqual({ line: 6, column: 5 });
    expect(locateNearest(parsed.locate, "rules[0].exclude")).toEqual({ line: 3, column: 5 });
    expect(locateNearest(parsed.locate, "missing")).toEqual({ line: 1, column: 1 });
    expect(locateNearest(parsed.locate, "version", "key")).toEqual({ line: 1, column: 1 });
  });

  test("a block scalar's header may carry indicators and a comment", () => {
    const block = parseYaml(FILE, '"a>b": >-  # folded | text\n  one\n  two\nc: |2\n   x\n');
    expect(block.value).toEqual({ "a>b": "one two", c: " x\n" });
    expect(block.locate("a>b")).toEqual({ line: 1, column: 8 });
    expect(block.locate("c")).toEqual({ line: 4, column: 4 });
  });

  test("CRLF line ends and a byte-order mark do not shift columns", () => {
    const crlf = parseYaml(FILE, "\uFEFFa: 1\r\nb:\r\n  c: 2\r\n");
    expect(crlf.value).toEqual({ a: 1, b: { c: 2 } });
    expect(crlf.locate("a", "key")).toEqual({ line: 1, column: 1 });
    expect(crlf.locate("a")).toEqual({ line: 1, column: 4 });
    expect(crlf.locate("b.c")).toEqual({ line: 3, column: 6 });
  });

  test("a top-level sequence's items are [0], [1], …", () => {
    const list = parseYaml(FILE, "- name: a\n- name: b\n  change: { base: main }\n");
    expect(list.locate("[1].change.base")).toEqual({ line: 3, column: 19 });
  });
});

describe("positions of list items", () => {
  // plain scalar items are kept by index, not as fields of their own: where they are must not change
  const text = "a: &l [x, 'y', \"z\"]\nb: *l\nc:\n  - p\n  - { q: 1 }\n  - &s s\n\"a[1]\": odd\n";
  const { locate, value } = parseYaml(FILE, text);

  test.each([
    ["a[0]", 1, 8],
    ["a[1]", 1, 11],
    ["a[2]", 1, 16],
    ["b[1]", 1, 11], // through the alias, in the anchored text
    ["c[0]", 4, 5],
    ["c[1]", 5, 5],
    ["c[2]", 6, 5],
    ["a[1]x", undefined, undefined],
    ["a[3]", undefined, undefined],
  ])("%s is at %s:%s, as value and as key", (field, line, column) => {
    const at = line === undefined ? undefined : { line, column };
    expect([locate(field), locate(field, "key")]).toEqual([at, at]);
  });

  test("a mapping inside a list keeps its keys' positions", () => {
    expect([locate("c[1].q"), locate("c[1].q", "key")]).toEqual([{ line: 5, column: 10 }, { line: 5, column: 7 }]);
  });

  test("the value is read whole", () => {
    expect(value).toEqual({ a: ["x", "y", "z"], b: ["x", "y", "z"], c: ["p", { q: 1 }, "s"], "a[1]": "odd" });
  });
});

describe("field paths", () => {
  test("keys join with dots, indices in brackets", () => {
    expect(fieldPath([])).toBe("");
    expect(fieldPath(["rules", 1, "approvals"])).toBe("rules[1].approvals");
    expect(fieldPath([0, "change", "files", 2])).toBe("[0].change.files[2]");
    expect(fieldPath(["options"])).toBe("options");
  });

  test("the parent of a field", () => {
    expect(parentField("rules[1].approvals")).toBe("rules[1]");
    expect(parentField("rules[1]")).toBe("rules");
    expect(parentField("rules")).toBe("");
    expect(parentField("[0]")).toBe("");
    expect(parentField("")).toBeUndefined();
  });
});

describe("errors", () => {
  test.each<[string, string, string[]]>([
    ["empty", "", [`${FILE}: file is empty: expected one YAML document`]],
    ["only a document marker", "---\n", [`${FILE}: file is empty: expected one YAML document`]],
    ["two documents", "a: 1\n---\nb: 2\n", [`${FILE}:3:1: file holds more than one YAML document; expected exactly one`]],
    ["an empty second document", "---\na: 1\n---\n", [`${FILE}:3:1: file holds more than one YAML document; expected exactly one`]],
    ["a syntax error", "a: 'open\n", [`${FILE}:2:1: invalid YAML: deficient indentation`]],
    ["a duplicate key", "a:\n  b: 1\n  b: 2\n", [`${FILE}:3:3: a.b: duplicate key \`b\``]],
    ["an unknown alias", "a: *nowhere\n", [`${FILE}:1:4: a: unknown alias \`*nowhere\``]],
    ["an alias to its own container", "a: &loop [1, *loop]\n", [`${FILE}:1:14: a[1]: alias \`*loop\` refers to a node that contains it`]],
    ["a complex key", "? [a, b]\n: 1\n", [`${FILE}:1:1: invalid YAML: object-based map does not support complex keys`]],
    ["an unknown tag", "a: !!binary x\n", [`${FILE}:1:4: invalid YAML: unknown scalar tag !<tag:yaml.org,2002:binary>`]],
  ])("%s", (_title, text, expected) => {
    const parsed = parseYaml(FILE, text);
    expect(parsed.errors.map(formatPolicyError)).toEqual(expected);
    expect(parsed.value).toBeUndefined();
  });

  test("limits can be tightened for other kinds of files", () => {
    expect(errorsOf("a: [[[1]]]\n", { maxDepth: 3 })).toEqual([`${FILE}:1:7: nesting is deeper than 3 levels`]);
    expect(errorsOf("a: [[1]]\n", { maxDepth: 3 })).toEqual([]);
    expect(errorsOf("a: &a [1, 2]\nb: [*a, *a]\n", { maxAliasNodes: 5 })).toEqual([`${FILE}:2:9: b[1]: aliases expand to more than 5 nodes`]);
    expect(errorsOf("a: 12345678\n", { maxBytes: 10 })).toEqual([`${FILE}: file is 1 KiB; the limit is 1 KiB`]);
  });

  test("parsing never throws, whatever the text", () => {
    const piece = fc.constantFrom("a", "b", ":", " ", "  ", "\n", "- ", "[", "]", "{", "}", ",", "&x ", "*x", "!!str ", "!t ", "'", '"', "#", "|", ">", "---", "...", "? ", "\t", "é", "\uFEFF", "%YAML 1.2\n", "<<: ");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const parsed = parseYaml(FILE, pieces.join(""));
        expect(parsed.errors.length === 0 || parsed.value === undefined).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("hostile input is rejected, each in milliseconds and without building anything big", () => {
  test("a file over 256 KiB, checked in bytes before parsing", () => {
    expect(errorsOf(`a: "${"x".repeat(300 * 1024)}"\n`)).toEqual([`${FILE}: file is 301 KiB; the limit is 256 KiB`]);
    // 90,000 characters, but 270,000 bytes of UTF-8.
    expect(errorsOf(`a: ${"€".repeat(90_000)}\n`)).toEqual([`${FILE}: file is 264 KiB; the limit is 256 KiB`]);
  });

  test("a file of exactly 256 KiB is read", () => {
    const head = "a: 1\n#";
    const text = `${head}${"x".repeat(256 * 1024 - head.length - 1)}\n`;
    expect(Buffer.byteLength(text)).toBe(256 * 1024);
    expect(parseYaml(FILE, text).value).toEqual({ a: 1 });
  });

  test("a billion laughs: 9 levels of 10 aliases", () => {
    const lines = [`l0: &l0 [${Array(10).fill('"lol"').join(", ")}]`];
    for (let level = 1; level < 9; level++) lines.push(`l${level}: &l${level} [${Array(10).fill(`*l${level - 1}`).join(", ")}]`);
    const text = `${lines.join("\n")}\n`;
    expect(errorsOf(text)).toEqual([`${FILE}:4:45: l3[7]: aliases expand to more than 10000 nodes`]);
    expect(parsePolicyFile("policies/lol.yml", text).errors.map(formatPolicyError)).toEqual([
      "policies/lol.yml:4:45: l3[7]: aliases expand to more than 10000 nodes",
    ]);
  });

  test("a wide alias bomb: few aliases of a big node", () => {
    const text = `a: &a [${Array(4000).fill("x").join(", ")}]\nb: [*a, *a, *a]\n`;
    expect(errorsOf(text)).toEqual([`${FILE}:2:13: b[2]: aliases expand to more than 10000 nodes`]);
  });

  test("modest aliases are fine", () => {
    const text = "team: &sre { teams: [sre] }\nrules:\n  - approvers: *sre\n  - approvers: *sre\n";
    expect(parseYaml(FILE, text).value).toEqual({ team: { teams: ["sre"] }, rules: [{ approvers: { teams: ["sre"] } }, { approvers: { teams: ["sre"] } }] });
  });

  test("10,000 levels of [[[[…", () => {
    expect(errorsOf("[".repeat(10_000) + "]".repeat(10_000))).toEqual([`${FILE}:1:65: nesting is deeper than 64 levels`]);
    expect(errorsOf("{a: ".repeat(10_000) + "}".repeat(10_000))).toEqual([`${FILE}:1:254: nesting is deeper than 64 levels`]);
  });

  test("a bound on nodes as written stops the walk where it is passed; nothing is built, and the count is told", () => {
    const text = "a: [x, y]\nb: { c: 1 }\n"; // mapping, a, seq, x, y, b, mapping, c, 1: 9 nodes
    expect(parseYaml(FILE, text, { maxNodes: 9 })).toMatchObject({ errors: [], nodes: 9, value: { a: ["x", "y"], b: { c: 1 } } });
    expect(errorsOf(text, { maxNodes: 8 })).toEqual([`${FILE}:2:9: b.c: file holds more than 8 YAML nodes`]);
    expect(parseYaml(FILE, text, { maxNodes: 4, tooManyNodes: (max) => `over ${max}` })).toMatchObject({ nodes: 5, errors: [{ line: 1, column: 8, field: "a[1]", message: "over 4" }] });
    expect(parseYaml(FILE, text, { maxNodes: 4 }).value).toBeUndefined();
  });

  test("64 levels are fine, 65 are not", () => {
    expect(parseYaml(FILE, "[".repeat(64) + "]".repeat(64)).errors).toEqual([]);
    expect(errorsOf("[".repeat(65) + "]".repeat(65))).toEqual([`${FILE}:1:65: nesting is deeper than 64 levels`]);
  });
});
