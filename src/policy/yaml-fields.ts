// Where fields are in a YAML file: positions, field paths (`rules[1].approvals`) and finding a
// field's line and column again. What yaml.ts records while it reads, and every error's location.

/** A 1-based position in the source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Which end of a mapping entry a position is wanted for: the key (`aprovals:`) or its value. */
export type FieldPart = "key" | "value";

/** Finds a field in a YAML file (see `ParsedYaml.locate`). */
export type Locate = (field: string, part?: FieldPart) => SourcePosition | undefined;

/** Where `field` is, or else the key of its nearest enclosing field that is in the file (where a missing key belongs). */
export function locateNearest(locate: Locate, field: string, part: FieldPart = "value"): SourcePosition | undefined {
  for (let at: string | undefined = field; at !== undefined; at = parentField(at)) {
    const position = locate(at, at === field ? part : "key");
    if (position) return position;
  }
  return undefined;
}

/** Joins a path of keys and indices into the field format used everywhere: `rules[1].approvals`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let field = "";
  for (const segment of path) {
    if (typeof segment === "number") field += `[${segment}]`;
    else field += field === "" ? String(segment) : `.${String(segment)}`;
  }
  return field;
}

/** The field that encloses `field` (`rules[1]` for `rules[1].approvals`), or undefined for the document. */
export function parentField(field: string): string | undefined {
  if (field === "") return undefined;
  const cut = Math.max(field.lastIndexOf("."), field.lastIndexOf("["));
  return cut <= 0 ? "" : field.slice(0, cut);
}

/** Offsets of one field: where its key and where its value start (-1 when unknown). */
export interface FieldOffsets {
  key: number;
  value: number;
  /**
   * For a sequence, where each of its plain scalar items starts, by index: long lists of scalars
   * are the bulk of a big file, and a field name and map entry for each cost more than parsing it.
   */
  items?: number[];
}

/** A sequence item's field: `rules[1].paths[3]` is item 3 of `rules[1].paths`. */
const ITEM = /^(.*)\[(\d+)\]$/;

/** Where `field` (or its key) is, from the offsets a read recorded; undefined when it is not in the file. */
export function locateIn(fields: Map<string, FieldOffsets>, lines: LineIndex, field: string, part: FieldPart): SourcePosition | undefined {
  // a plain scalar item first: a key that merely reads like one (`"a[1]": x`) does not hide it
  const item = field.endsWith("]") ? ITEM.exec(field) : null;
  const itemAt = item ? fields.get(item[1] as string)?.items?.[Number(item[2])] : undefined;
  const offsets = itemAt !== undefined ? { key: -1, value: itemAt } : fields.get(field);
  if (!offsets) return undefined;
  const preferred = part === "key" ? offsets.key : offsets.value;
  const offset = preferred >= 0 ? preferred : part === "key" ? offsets.value : offsets.key;
  return offset >= 0 ? lines.position(offset) : undefined;
}

/** Turns offsets into 1-based line and column; a leading byte-order mark does not count as a column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  private readonly bom: boolean;

  constructor(text: string) {
    for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) this.starts.push(at + 1);
    this.bom = text.startsWith("\uFEFF");
  }

  position(offset: number): SourcePosition {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    const column = offset - (this.starts[low] as number) + 1;
    return { line: low + 1, column: low === 0 && this.bom && column > 1 ? column - 1 : column };
  }
}
