// Markdown from untrusted strings, and fitting output into GitHub's limits.
import { fitBlocks, sizeOf } from "../../src/render/fit.js";
import { code, mention, oneLine, text } from "../../src/render/markdown.js";

describe("text", () => {
  test.each([
    ["plain words stay plain", "plain words stay plain"],
    ["**bold** _it_ `code`", String.raw`\*\*bold\*\* \_it\_ \`code\``],
    ["[link](https://evil.example) ![img](x)", String.raw`\[link\](https://evil.example) !\[img\](x)`],
    ["<script>alert(1)</script> &amp; a|b ~~s~~ $x$", String.raw`\<script\>alert(1)\</script\> \&amp; a\|b \~\~s\~\~ \$x\$`],
    ["# heading", String.raw`\# heading`],
    ["- item", String.raw`\- item`],
    ["+ item", String.raw`\+ item`],
    ["12. item", String.raw`12\. item`],
    ["3) item", String.raw`3\) item`],
    ["=== underline", String.raw`\=== underline`],
    ["a\n\n# b\r\n- c", String.raw`a \# b - c`],
    ["back\\slash", String.raw`back\\slash`],
    ["nul\u0000byte", "nul byte"],
  ])("%j → %s", (input, expected) => {
    expect(text(input)).toBe(expected);
  });
});

describe("code", () => {
  test.each([
    ["clusters/prod/api.yaml", "`clusters/prod/api.yaml`"],
    ["a`b", "``a`b``"],
    ["a``b`c", "```a``b`c```"],
    ["`starts", "`` `starts ``"],
    ["ends`", "`` ends` ``"],
    [" both ", "`  both  `"],
    ["   ", "`   `"],
    ["new\nline", "`new\\nline`"],
    ["tab\there\r", "`tab\\there\\r`"],
    ["bell\u0007", "`bell\\x07`"],
    ["<b>html</b>", "`<b>html</b>`"],
  ])("%j → %s", (input, expected) => {
    expect(code(input)).toBe(expected);
  });
});

test("mentions escape what Markdown would read, and name bots without a misleading @", () => {
  expect(mention("alice")).toBe("@alice");
  expect(mention("acme/sre")).toBe("@acme/sre");
  expect(mention("acme/platform_team")).toBe(String.raw`@acme/platform\_team`);
  expect(mention("renovate[bot]")).toBe(String.raw`renovate\[bot\]`);
});

test("oneLine keeps a title on one line within its length, without splitting a character", () => {
  expect(oneLine("a\nb\r\n  c", 100)).toBe("a b c");
  expect(oneLine("x".repeat(20), 10)).toBe(`${"x".repeat(9)}…`);
  expect([...oneLine("😀".repeat(20), 10)]).toHaveLength(10);
});

describe("fitBlocks", () => {
  const note = ({ blocks, items }: { blocks: number; items: number }) => `*cut: ${blocks} blocks, ${items} items*`;

  test("joins blocks with blank lines when they fit", () => {
    expect(fitBlocks(["a", { lead: "L", items: ["x", "y"] }], { limit: 100, footer: "F", note })).toBe("a\n\nL\n\n- x\n- y\n\nF");
  });

  test("leaves out a block that does not fit, keeps later ones that do, and always the footer", () => {
    const out = fitBlocks(["first", "x".repeat(200), "last"], { limit: 120, footer: "footer", note });
    expect(out).toBe("first\n\nlast\n\n*cut: 1 blocks, 0 items*\n\nfooter");
  });

  test("cuts a list between items and counts what it left out", () => {
    const items = Array.from({ length: 100 }, (_, i) => `item ${i}`);
    const out = fitBlocks([{ lead: "### List", items }], { limit: 200, note });
    expect(sizeOf(out)).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^### List\n\n- item 0\n- item 1\n[\s\S]*\n- and \d+ more not shown\n\n\*cut: 0 blocks, \d+ items\*$/);
    const shown = out.match(/^- item \d+$/gm)?.length ?? 0;
    const left = Number(/and (\d+) more/.exec(out)?.[1]);
    expect(shown + left).toBe(100);
  });

  test("counts UTF-8 bytes", () => {
    // 80 bytes each, though 40 characters: both do not fit in 150
    const out = fitBlocks(["é".repeat(40), "ü".repeat(40)], { limit: 150, note });
    expect(sizeOf(out)).toBeLessThanOrEqual(150);
    expect(out).toBe(`${"é".repeat(40)}\n\n*cut: 1 blocks, 0 items*`);
  });
});
