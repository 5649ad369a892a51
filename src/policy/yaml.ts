// A YAML reader that remembers where every field is, and refuses hostile input before it costs anything.
// Generic on purpose: policy files, policy tests and CHANGE files all go through it.
import {
  CORE_SCHEMA,
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  constructFromEvents,
  getScalarValue,
  parseEvents,
  type Event,
} from "js-yaml";
import type { PolicyError } from "./types.js";
import { LineIndex, locateIn, type FieldOffsets, type Locate } from "./yaml-fields.js";

export { fieldPath, locateNearest, parentField, type Locate, type SourcePosition } from "./yaml-fields.js";

/** Bounds on what the reader accepts; each exists to reject hostile input in milliseconds. */
interface YamlLimits {
  /** Largest accepted file, in UTF-8 bytes. */
  maxBytes: number;
  /** Most nodes that aliases may add when expanded ("billion laughs"). */
  maxAliasNodes: number;
  /** Deepest accepted nesting of sequences and mappings. */
  maxDepth: number;
  /**
   * Most nodes the document may hold as written (scalars, collections, aliases, keys included):
   * past it the walk stops, and nothing is built of the text. A policy folder shares one budget.
   */
  maxNodes: number;
  /** The error past `maxNodes`. */
  tooManyNodes: (maxNodes: number) => string;
}

/** The limits of SPEC §1.1 for policy files, used unless a caller tightens them. */
const DEFAULT_YAML_LIMITS: YamlLimits = {
  maxBytes: 256 * 1024,
  maxAliasNodes: 10_000,
  maxDepth: 64,
  maxNodes: Infinity,
  tooManyNodes: (max) => `file holds more than ${max.toLocaleString("en-US")} YAML nodes`,
};

/** The outcome of reading one YAML file: its value when readable, errors otherwise, and where each field is. */
interface ParsedYaml {
  /** The document's value; absent when `errors` is not empty. */
  value?: unknown;
  errors: PolicyError[];
  /** The nodes walked (see YamlLimits.maxNodes): 0 when the text was refused before it was parsed. */
  nodes: number;
  /**
   * Where a field is, e.g. `rules[1].approvals` (`""` is the whole document).
   * `"value"` (the default) is where its value starts — or its key when the value
   * is empty; `"key"` is where its key is (for sequence items, the item itself).
   * Undefined when the field is not in the file.
   */
  locate: Locate;
}

/** Reads one YAML document with the core schema (timestamps stay strings, no `<<` merges); never throws. */
export function parseYaml(file: string, text: string, limits: Partial<YamlLimits> = {}): ParsedYaml {
  const bounds = { ...DEFAULT_YAML_LIMITS, ...limits };
  // Checked before anything is built from the text.
  const tooLarge = fileSizeProblem(Buffer.byteLength(text, "utf8"), bounds.maxBytes);
  if (tooLarge) return { errors: [{ file, field: "", message: tooLarge }], nodes: 0, locate: () => undefined };

  const lines = new LineIndex(text);
  const fields = new Map<string, FieldOffsets>();
  let walk: EventWalk | undefined;
  const result = (value: unknown, errors: PolicyError[]): ParsedYaml => ({
    ...(errors.length === 0 ? { value } : {}),
    errors,
    nodes: walk?.nodes ?? 0,
    locate: (field, part = "value") => locateIn(fields, lines, field, part),
  });
  const fail = (message: string, offset?: number, field = ""): ParsedYaml =>
    result(undefined, [{ file, ...(offset === undefined || offset < 0 ? {} : lines.position(offset)), field, message }]);
  try {
    const events = parseEvents(text, { filename: file, maxDepth: bounds.maxDepth + 1 });
    const documents = events.filter((event) => event.type === EVENT_ID.DOCUMENT).length;
    if (documents === 0) return fail("file is empty: expected one YAML document");
    if (documents > 1) {
      return fail("file holds more than one YAML document; expected exactly one", secondDocumentOffset(text, events));
    }
    walk = new EventWalk(text, events, bounds, fields);
    const trouble = walk.run();
    if (trouble) return fail(trouble.message, trouble.offset, trouble.field);
    if (walk.empty) return fail("file is empty: expected one YAML document");
    const [value] = constructFromEvents(events, { source: text, filename: file, schema: CORE_SCHEMA });
    return result(value, []);
  } catch (error) {
    if (error instanceof YAMLException) {
      const message = /maxDepth/.test(error.reason) ? `nesting is deeper than ${bounds.maxDepth} levels` : `invalid YAML: ${error.reason}`;
      return fail(message, error.mark?.position);
    }
    return fail(`invalid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface WalkTrouble {
  offset: number;
  field: string;
  message: string;
}

/**
 * What an anchor stands for: its expanded node count (undefined while the anchored
 * collection is still open), a scalar's text (for alias keys), and the range of the
 * field log recorded inside it, so an alias's fields can be located too.
 */
interface AnchorInfo {
  size: number | undefined;
  scalar?: string;
  field: string | undefined;
  logStart: number;
  logEnd: number;
}

/**
 * One pass over the parser's events: records the offsets of every field, finds
 * duplicate keys, and counts the nodes aliases would add when expanded — stopping
 * the moment that count exceeds the limit, so a "billion laughs" file costs no more
 * than its own length to reject. Fields reached through an alias are located at the
 * anchored node's text; copying them is bounded by the same limit.
 */
class EventWalk {
  private index = 0;
  private aliasNodes = 0;
  private trouble: WalkTrouble | undefined;
  private readonly anchors = new Map<string, AnchorInfo>();
  /** Every recorded field in order, for copying an anchor's fields to its aliases. */
  private readonly log: string[] = [];
  /** True when the document has no content at all (`---` alone, or only comments). */
  empty = false;
  /** Nodes walked so far. */
  nodes = 0;

  constructor(
    private readonly text: string,
    private readonly events: Event[],
    private readonly limits: YamlLimits,
    private readonly fields: Map<string, FieldOffsets>,
  ) {}

  run(): WalkTrouble | undefined {
    const document = this.events[this.index];
    if (document?.type !== EVENT_ID.DOCUMENT) return undefined;
    this.index++;
    const root = this.events[this.index];
    this.empty = root?.type === EVENT_ID.SCALAR && root.valueStart < 0 && root.tagStart < 0 && root.anchorStart < 0;
    this.node("", -1);
    return this.trouble;
  }

  /** Walks the node at the cursor, recording it under `field` (unless undefined); returns its expanded node count. */
  /** Counts one more node; false (having stopped the walk) past the bound. */
  private count(event: Event, field: string | undefined): boolean {
    if (++this.nodes <= this.limits.maxNodes) return true;
    this.stop(event.type === EVENT_ID.SCALAR ? nodeOffset(this.text, event) : eventStart(event), field, this.limits.tooManyNodes(this.limits.maxNodes));
    return false;
  }

  private node(field: string | undefined, keyOffset: number): number {
    const event = this.events[this.index++];
    if (!event || this.trouble) return 0;
    if (!this.count(event, field)) return 0;
    switch (event.type) {
      case EVENT_ID.SCALAR: {
        const logStart = this.log.length;
        this.record(field, keyOffset, nodeOffset(this.text, event));
        if (event.anchorStart >= 0) {
          const scalar = getScalarValue(this.text, event);
          this.anchors.set(this.slice(event.anchorStart, event.anchorEnd), { size: 1, scalar, field, logStart, logEnd: this.log.length });
        }
        return 1;
      }
      case EVENT_ID.ALIAS:
        return this.alias(event.anchorStart, event.anchorEnd, field, keyOffset);
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const logStart = this.log.length;
        const own: FieldOffsets = { key: keyOffset, value: earliest(event.start, event.anchorStart >= 0 ? event.anchorStart - 1 : -1, event.tagStart) };
        if (event.type === EVENT_ID.SEQUENCE) own.items = [];
        // a field recorded before (two spellings of one name) keeps its offsets, and its items
        const recorded = this.record(field, keyOffset, own.value, own);
        const anchor = event.anchorStart >= 0 ? this.slice(event.anchorStart, event.anchorEnd) : undefined;
        if (anchor !== undefined) this.anchors.set(anchor, { size: undefined, field, logStart, logEnd: logStart });
        const size = event.type === EVENT_ID.SEQUENCE ? this.sequenceItems(field, recorded ? own.items : undefined) : this.mappingEntries(field);
        this.index++; // the collection's POP
        if (anchor !== undefined) this.anchors.set(anchor, { size, field, logStart, logEnd: this.log.length });
        return size;
      }
      default:
        return this.stop(-1, field, "unexpected YAML structure");
    }
  }

  private alias(anchorStart: number, anchorEnd: number, field: string | undefined, keyOffset: number): number {
    const name = this.slice(anchorStart, anchorEnd);
    const offset = anchorStart - 1; // the `*`
    const anchor = this.anchors.get(name);
    if (!anchor) return this.stop(offset, field, `unknown alias \`*${name}\``);
    if (anchor.size === undefined) return this.stop(offset, field, `alias \`*${name}\` refers to a node that contains it`);
    this.aliasNodes += anchor.size;
    if (this.aliasNodes > this.limits.maxAliasNodes) {
      return this.stop(offset, field, `aliases expand to more than ${this.limits.maxAliasNodes} nodes`);
    }
    // an alias of a sequence shares its items' offsets: they are in the anchored text
    const items = anchor.field === undefined ? undefined : this.fields.get(anchor.field)?.items;
    this.record(field, keyOffset, offset, items ? { key: keyOffset, value: offset, items } : undefined);
    if (field !== undefined && anchor.field !== undefined) {
      for (let entry = anchor.logStart; entry < anchor.logEnd; entry++) {
        const original = this.log[entry] as string;
        if (original === anchor.field) continue;
        this.record(field + original.slice(anchor.field.length), -1, -1, this.fields.get(original));
      }
    }
    return anchor.size;
  }

  /** Walks a sequence's items; a plain scalar item's offset goes in `items` (when given), others are fields of their own. */
  private sequenceItems(field: string | undefined, items: number[] | undefined): number {
    let size = 1;
    for (let item = 0; !this.trouble && this.atContent(); item++) {
      const next = this.events[this.index] as Event;
      if (items && next.type === EVENT_ID.SCALAR && next.anchorStart < 0) {
        this.index++;
        if (!this.count(next, `${field}[${item}]`)) return size;
        items[item] = nodeOffset(this.text, next);
        size += 1;
        continue;
      }
      size += this.node(field === undefined ? undefined : `${field}[${item}]`, -1);
    }
    return size;
  }

  private mappingEntries(field: string | undefined): number {
    let size = 1;
    const seen = new Set<string>();
    while (!this.trouble && this.atContent()) {
      const keyEvent = this.events[this.index] as Event;
      const key = this.keyText(keyEvent);
      const keyOffset = keyEvent.type === EVENT_ID.SCALAR ? nodeOffset(this.text, keyEvent) : keyEvent.type === EVENT_ID.ALIAS ? keyEvent.anchorStart - 1 : -1;
      // Keys are walked for their size only; the constructor rejects non-scalar keys with a position.
      size += this.node(undefined, -1);
      const child = key === undefined || field === undefined ? undefined : field === "" ? key : `${field}.${key}`;
      if (key !== undefined && seen.has(key)) return this.stop(keyOffset, child, `duplicate key \`${key}\``);
      if (key !== undefined) seen.add(key);
      size += this.node(child, keyOffset);
    }
    return size;
  }

  private keyText(event: Event): string | undefined {
    if (event.type === EVENT_ID.SCALAR) return getScalarValue(this.text, event);
    if (event.type === EVENT_ID.ALIAS) return this.anchors.get(this.slice(event.anchorStart, event.anchorEnd))?.scalar;
    return undefined;
  }

  private atContent(): boolean {
    const next = this.events[this.index];
    return next !== undefined && next.type !== EVENT_ID.POP;
  }

  /** Records where `field` is, unless it is recorded already; whether it was recorded now. */
  private record(field: string | undefined, key: number, value: number, copy?: FieldOffsets): boolean {
    if (field === undefined || this.fields.has(field)) return false;
    this.fields.set(field, copy ?? { key, value });
    this.log.push(field);
    return true;
  }

  private stop(offset: number, field: string | undefined, message: string): number {
    this.trouble ??= { offset, field: field ?? "", message };
    return 0;
  }

  private slice(start: number, end: number): string {
    return this.text.slice(start, end);
  }
}

/** Where a collection or alias starts, as far as its event says (-1 when unknown). */
function eventStart(event: Event): number {
  if (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.MAPPING) return earliest(event.start, event.anchorStart >= 0 ? event.anchorStart - 1 : -1, event.tagStart);
  if (event.type === EVENT_ID.ALIAS) return event.anchorStart - 1;
  return -1;
}

/** Where a scalar starts: its anchor or tag if it has one, else its first character (quotes included). */
function nodeOffset(text: string, event: Extract<Event, { type: typeof EVENT_ID.SCALAR }>): number {
  const content = event.valueStart >= 0 ? contentOffset(text, event) : -1;
  return earliest(content, event.anchorStart >= 0 ? event.anchorStart - 1 : -1, event.tagStart);
}

/** The smallest of offsets that are known (not -1); -1 when none is. */
function earliest(a: number, b: number, c: number): number {
  let least = -1;
  for (const at of [a, b, c]) if (at >= 0 && (least < 0 || at < least)) least = at;
  return least;
}

/** The parser's value offsets skip quotes, and for block scalars point past the `|`/`>` header line: step back to them. */
function contentOffset(text: string, event: Extract<Event, { type: typeof EVENT_ID.SCALAR }>): number {
  switch (event.style) {
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED:
      return event.valueStart - 1;
    case SCALAR_STYLE.LITERAL_BLOCK:
    case SCALAR_STYLE.FOLDED_BLOCK: {
      const headerEnd = text.lastIndexOf("\n", event.valueStart - 1);
      const headerStart = text.lastIndexOf("\n", headerEnd - 1) + 1;
      if (headerEnd < 0) return event.valueStart;
      const indicator = /[|>][0-9+-]*[ \t]*(?:#.*)?\r?$/.exec(text.slice(headerStart, headerEnd));
      return indicator ? headerStart + indicator.index : event.valueStart;
    }
    default:
      return event.valueStart;
  }
}

/** Where the second document starts: its first node, or else its `---` marker. */
function secondDocumentOffset(text: string, events: Event[]): number | undefined {
  const documents = events.flatMap((event, index) => (event.type === EVENT_ID.DOCUMENT ? [index] : []));
  const second = documents[1] as number;
  const root = events[second + 1];
  if (root?.type === EVENT_ID.SCALAR && nodeOffset(text, root) >= 0) return nodeOffset(text, root);
  if (root && (root.type === EVENT_ID.SEQUENCE || root.type === EVENT_ID.MAPPING)) return root.start;
  const markers = [...text.matchAll(/^---(?=\s|$)/gm)].map((match) => match.index);
  const first = events[documents[0] as number];
  const explicitFirst = first?.type === EVENT_ID.DOCUMENT && first.explicitStart;
  return markers[explicitFirst ? 1 : 0];
}

/** The error for a file of `bytes` bytes, or undefined when it is within `maxBytes` (checked before reading a file). */
export function fileSizeProblem(bytes: number, maxBytes = DEFAULT_YAML_LIMITS.maxBytes): string | undefined {
  const kib = (size: number) => `${Math.ceil(size / 1024)} KiB`;
  return bytes > maxBytes ? `file is ${kib(bytes)}; the limit is ${kib(maxBytes)}` : undefined;
}

