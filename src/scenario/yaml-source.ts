/**
 * YAML (or JSON) text with positions: parsing it so that problems can be placed at their line
 * and column, and turning zod issues or key paths into such located problems. Used by the
 * scenario loader and by the gateway configs of built-in strategies (which is why it is apart
 * from `load.ts`: it must not import the scenario schema).
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ImgsimError, formatPath, type Problem } from './errors.js';
import { MAX_YAML_DEPTH, findYamlDepthExcess } from './yaml-depth.js';

/** Most YAML alias expansions allowed, against "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 200;

/** Where YAML (or JSON) text came from and how to find positions in it. */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document.Parsed | undefined;
  readonly lines: LineCounter | undefined;
}
type Source = YamlSource;

/**
 * Parses YAML (JSON is YAML too) keeping positions, so problems can be placed at their line and
 * column (also used for gateway configs).
 * @param text - the text
 * @param file - name used in messages
 * @returns the data and its source
 * @throws ImgsimError (`invalid-scenario`) for a YAML syntax error or an alias bomb
 */
export function parseYamlSource(text: string, file: string): { data: unknown; source: YamlSource } {
  // The parser recurses: refuse deep nesting before it overflows the stack.
  const deep = findYamlDepthExcess(text);
  if (deep) throw ImgsimError.scenario([{ file, ...deep, path: '', message: TOO_DEEP }]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const source: Source = { file, doc, lines };
  if (doc.errors.length > 0) {
    throw ImgsimError.scenario(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: isStackOverflow(e) ? TOO_DEEP : `YAML: ${firstLine(e.message)}` };
      }),
    );
  }
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), source };
  } catch (err) {
    const message =
      err instanceof ReferenceError && /alias/i.test(err.message)
        ? `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses); refusing a possible alias bomb`
        : isStackOverflow(err)
          ? TOO_DEEP
          : `YAML: ${firstLine(err instanceof Error ? err.message : String(err))}`;
    throw ImgsimError.scenario([{ file, path: '', message }]);
  }
}

const TOO_DEEP = `YAML nested more than ${MAX_YAML_DEPTH} levels deep; a scenario needs a dozen at most`;

/** The parser's own recursion limit, should text slip past the depth estimate. */
function isStackOverflow(err: unknown): boolean {
  return err instanceof Error && /maximum call stack/i.test(err.message);
}

/**
 * Turns zod issues into problems placed in a source, sorted by position.
 * @param issues - the issues of a failed `safeParse` (with `reportInput: true` for the `got` part)
 * @param source - where the data came from
 * @returns the problems
 */
export function issueProblems(issues: readonly z.core.$ZodIssue[], source: YamlSource): Problem[] {
  return sortProblems(issues.flatMap((issue) => toProblems(issue, source)));
}

/**
 * One problem at a key path of a source: at the value, or at the key with `atKey`.
 * @param source - where the data came from
 * @param path - the key path
 * @param message - what is wrong
 * @param atKey - point at the key rather than its value
 * @returns the problem
 */
export function placeProblem(source: YamlSource, path: readonly PropertyKey[], message: string, atKey = false): Problem {
  return place(source, path, message, atKey);
}

function toProblems(issue: z.core.$ZodIssue, source: Source): Problem[] {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the union option that got furthest: skip options that failed on the value's type
    // itself, then prefer the one with the fewest problems.
    const viable = issue.errors.filter((errs) => !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0));
    const best = viable.sort((a, b) => a.length - b.length)[0];
    if (best) return best.flatMap((e) => toProblems({ ...e, path: [...issue.path, ...e.path] }, source));
  }
  if (issue.code === 'unrecognized_keys') {
    const messages = issue.message.split('\n');
    return issue.keys.map((key, i) => place(source, [...issue.path, key], messages[i] ?? `unknown key \`${key}\``, true));
  }
  return [place(source, issue.path, withGot(issue), false)];
}

function withGot(issue: z.core.$ZodIssue): string {
  let input = (issue as { input?: unknown }).input;
  const last = issue.path[issue.path.length - 1];
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && typeof last === 'string' && last in input) {
    input = (input as Record<string, unknown>)[last]; // a discriminator: show its value
  }
  if (input === undefined) return issue.code === 'custom' ? issue.message : `missing; ${issue.message}`;
  if (issue.message.includes(', got ')) return issue.message;
  if ((typeof input === 'string' || typeof input === 'number') && issue.message.includes(`\`${input}\``)) return issue.message;
  if (typeof input === 'string') return `${issue.message}, got "${input.length > 60 ? `${input.slice(0, 57)}...` : input}"`;
  if (typeof input === 'number' || typeof input === 'boolean' || input === null) return `${issue.message}, got ${String(input)}`;
  return issue.message;
}

function place(source: Source, path: readonly PropertyKey[], message: string, atKey: boolean): Problem {
  const pos = locate(source, path, atKey);
  return { file: source.file, ...pos, path: formatPath(path), message };
}

/** Finds the line and column of a key path: the deepest node that exists along it. */
function locate(source: Source, path: readonly PropertyKey[], atKey: boolean): { line?: number; col?: number } {
  const { doc, lines } = source;
  if (!doc || !lines) return {};
  let node: Node | null | undefined = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      const last = i === path.length - 1;
      if (last && (atKey || !valueNode?.range)) {
        offset = keyNode.range?.[0] ?? offset;
        node = undefined;
        break;
      }
      node = valueNode;
      offset = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  const lp = lines.linePos(offset);
  return { line: lp.line, col: lp.col };
}

/**
 * Sorts problems by line, column and key path, in place.
 * @param problems - the problems
 * @returns the same array, sorted
 */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || a.path.localeCompare(b.path));
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
