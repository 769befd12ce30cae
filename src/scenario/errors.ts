/**
 * The one error type of imgsim: a code the CLI maps to an exit status, a message a person can
 * act on, and, for scenario problems, where in which file it is.
 */

/** Machine-readable error codes; the CLI maps them to exit codes (all of these are 2). */
export type ErrorCode =
  | 'invalid-scenario'
  | 'invalid-argument'
  | 'file-not-found'
  | 'invalid-trace'
  | 'invalid-strategy'
  | 'invalid-report'
  | 'internal';

/** One problem at one place in a scenario file. */
export interface Problem {
  /** File the problem is in (as given by the user). */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly col?: number;
  /** Key path such as `providers[1].pricing.perStep`; empty for the whole file. */
  readonly path: string;
  /** What is wrong and what was expected. */
  readonly message: string;
}

/** Formats one problem as `file:line:col path: message`. */
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  return p.path === '' ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

/** An error with a code, a message and, for scenarios, every problem found. */
export class ImgsimError extends Error {
  override readonly name = 'ImgsimError';
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, problems: readonly Problem[] = []) {
    super(message);
    this.code = code;
    this.problems = problems;
  }

  /** Builds the error for a scenario with one or more problems. */
  static scenario(problems: readonly Problem[]): ImgsimError {
    const first = problems[0];
    const head =
      problems.length === 1 && first ? formatProblem(first) : `${problems.length} problems:\n${problems.map(formatProblem).join('\n')}`;
    return new ImgsimError('invalid-scenario', head, problems);
  }
}

/** Formats a key path array (`['providers', 1, 'pricing']`) as `providers[1].pricing`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Suggests the nearest of `names` to a misspelled `word` (Levenshtein distance at most a
 * third of the word's length, and at least 1 edit allowed).
 * @param word - what the user wrote
 * @param names - the valid names
 * @returns the nearest valid name, or undefined when nothing is close
 */
export function suggest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(word.length / 3)) + 1;
  const lower = word.toLowerCase();
  for (const name of names) {
    const d = levenshtein(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The `n` nearest of `names` to `word`, nearest first (ties in list order), however far: for
 * messages that name the closest valid choices among many (metric paths).
 * @param word - what the user wrote
 * @param names - the valid names
 * @param n - how many (default 3)
 * @returns up to `n` names
 */
export function nearest(word: string, names: readonly string[], n = 3): string[] {
  const lower = word.toLowerCase();
  return names
    .map((name, i) => ({ name, i, d: levenshtein(lower, name.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, n)
    .map((x) => x.name);
}

function levenshtein(a: string, b: string): number {
  const row = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
