/**
 * The nesting depth of YAML text, measured before parsing: the `yaml` package parses and
 * converts recursively, so thousands of nested `[`, `{` or `- ` overflow the call stack
 * ("Maximum call stack size exceeded", no position). A scenario nests a dozen levels; text
 * nested deeper than {@link MAX_YAML_DEPTH} is refused with the line and column where it gets
 * too deep.
 */

/** The deepest YAML nesting read (flow brackets, block indentation and compact `- ` together). */
export const MAX_YAML_DEPTH = 100;

/** Where text first nests deeper than the limit. */
export interface DepthExcess {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
}

const SPACE = 0x20;
const TAB = 0x09;

/**
 * Finds the first place the text nests deeper than `max`. A lexical estimate: flow collections
 * (`[`, `{` outside quotes and comments), block levels (a stack of indentations) and compact
 * nested entries (`- - -`, `? `) on one line; plain text with brackets may count a little more.
 * @param text - YAML text
 * @param max - the deepest nesting allowed
 * @returns where it is exceeded, or undefined
 */
export function findYamlDepthExcess(text: string, max = MAX_YAML_DEPTH): DepthExcess | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Start of a line: indentation and compact block entries (only outside flow collections).
    let block = indents.length;
    if (flow === 0) {
      let j = i;
      while (j < n && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++;
      const c = text[j];
      if (c !== undefined && c !== '\n' && c !== '\r' && c !== '#') {
        const indent = j - i;
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        block = indents.length;
        // `- - - x`: each indicator followed by a space opens one more level.
        while ((text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
          block++;
          if (block > max) return { line, col: j - lineStart + 1 };
          j += 2;
          while (text[j] === ' ' || text[j] === '\t') j++;
        }
      }
      if (block > max) return { line, col: j - lineStart + 1 };
      i = j;
    }
    // The rest of the line (a quoted scalar may run over lines).
    let quote: string | undefined;
    for (; i < n; i++) {
      const c = text[i]!;
      if (c === '\n') {
        line++;
        lineStart = i + 1;
        i++;
        break;
      }
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
        continue;
      }
      const prev = i === lineStart ? ' ' : text[i - 1]!;
      const atToken = prev === ' ' || prev === '\t' || prev === '[' || prev === '{' || prev === ',' || prev === ':';
      if ((c === '"' || c === "'") && atToken) quote = c;
      else if (c === '#' && (prev === ' ' || prev === '\t' || i === lineStart)) {
        while (i + 1 < n && text[i + 1] !== '\n') i++;
      } else if (c === '[' || c === '{') {
        flow++;
        if (flow + block > max) return { line, col: i - lineStart + 1 };
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
    // A quoted scalar left open continues on the next line.
    if (quote !== undefined) {
      const close = findClose(text, i, quote);
      for (; i < close && i < n; i++) {
        if (text[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      i = Math.min(close + 1, n);
      // the rest of that line is scanned as a new line would be, without its indentation
    }
  }
  return undefined;
}

/** Index of the quote that closes a quoted scalar starting before `from`, or the text's end. */
function findClose(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}
