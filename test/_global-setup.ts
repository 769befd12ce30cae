// vitest globalSetup: the tests that spawn bin/imgsim.js (and the worker threads the CLI starts)
// run dist/, so dist/ is rebuilt here whenever a file under src/ (or a build config) is newer
// than the last build. Up to date, this costs one walk over src/ (~200 stat calls); stale, an
// incremental `tsc -p tsconfig.build.json` (a few seconds after a small edit, ~12 s from scratch)
// and the CLI's bundle (scripts/bundle-cli.js, ~1 s), which is what bin/imgsim.js runs.
// A run given file filters (`vitest run test/model`) that select no such test skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = path.join(ROOT, 'node_modules/.cache/imgsim');
/** Its mtime is the instant the last successful build started. */
const STAMP = path.join(CACHE, 'build-stamp');
/** Kept outside dist/ so `npm pack` never ships it; removed whenever dist/ is rebuilt from nothing. */
const BUILD_INFO = path.join(CACHE, 'build.tsbuildinfo');
const LOCK = path.join(CACHE, 'build-lock');
/** Several vitest processes may start at once; a lock older than this belongs to a dead one. */
const STALE_LOCK_MS = 180_000;
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/bundle-cli.js'];

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const m = entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs;
    if (m > newest) newest = m;
  }
  return newest;
}

/**
 * When dist/ was last built: the STAMP's mtime, or, with no STAMP (a build this setup did not
 * run, such as the `npm run build` of `npm ci`'s prepare on a fresh clone), the older of the
 * compiled CLI and its bundle, which are written at the end of their steps.
 */
function builtAtMs(): number | undefined {
  const outputs = ['dist/cli/main.js', 'dist/bundle/imgsim.js'].map((f) => statSync(path.join(ROOT, f), { throwIfNoEntry: false }));
  if (outputs.some((s) => s === undefined)) return undefined;
  return statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? Math.min(...outputs.map((s) => s!.mtimeMs));
}

function isStale(): boolean {
  const built = builtAtMs();
  if (built === undefined) return true;
  const sources = Math.max(newestMtimeMs(path.join(ROOT, 'src')), ...CONFIGS.map((f) => statSync(path.join(ROOT, f)).mtimeMs));
  return sources > built;
}

function build(): void {
  const startedAt = new Date();
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) rmSync(BUILD_INFO, { force: true });
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  // tsc emits despite type errors (noEmitOnError is off): dist/ is then current and the
  // type-check step of `npm test` reports the errors; only a build that emitted nothing fails here.
  if (r.status !== 0) {
    process.stderr.write(`globalSetup: tsc -p tsconfig.build.json exited ${String(r.status)}:\n${r.stdout}${r.stderr}`);
    if (r.error !== undefined || !existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
      throw new Error('globalSetup: could not build dist/ for the CLI tests (see tsc output above)');
    }
  }
  const bundle = spawnSync(process.execPath, [path.join(ROOT, 'scripts/bundle-cli.js')], { cwd: ROOT, encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`globalSetup: scripts/bundle-cli.js exited ${String(bundle.status)}:\n${bundle.stdout}${bundle.stderr}`);
  writeFileSync(STAMP, '');
  utimesSync(STAMP, startedAt, startedAt);
}

function takeLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    const held = statSync(LOCK, { throwIfNoEntry: false });
    if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    return false;
  }
}

/** vitest options that take the next argument as their value (so it is not a file filter). */
const VALUE_OPTIONS = new Set(['-t', '--testNamePattern', '-c', '--config', '-r', '--root', '--dir', '--reporter', '--outputFile', '--project', '--pool', '--environment', '--shard', '--maxWorkers', '--testTimeout', '--retry', '--bail', '--mode', '--exclude']);

/** The file filters of this vitest run (its positional arguments), `[]` when none. */
function fileFilters(argv: readonly string[]): string[] {
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    if (filters.length === 0 && ['run', 'watch', 'dev', 'related'].includes(arg)) continue;
    filters.push(arg.replace(/:\d+$/, '')); // `file:line` selects a test in that file
  }
  return filters;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Whether a test this run selects spawns bin/imgsim.js or imports dist/ (vitest matches filters as substrings of the path). */
function runNeedsDist(filters: readonly string[]): boolean {
  if (filters.length === 0) return true;
  return testFiles(path.join(ROOT, 'test')).some((file) => {
    const rel = path.relative(ROOT, file);
    return filters.some((f) => file.includes(f) || rel.includes(path.normalize(f))) && /bin\/imgsim\.js|\.\.\/dist\//.test(readFileSync(file, 'utf8'));
  });
}

/** Builds dist/ before any test runs when src/ changed since the last build. */
export default async function setup(): Promise<void> {
  if (!runNeedsDist(fileFilters(process.argv.slice(2)))) return;
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  while (isStale()) {
    if (takeLock()) {
      try {
        if (isStale()) build();
      } finally {
        rmSync(LOCK, { recursive: true, force: true });
      }
      return;
    }
    if (Date.now() > deadline) throw new Error(`globalSetup: ${LOCK} held too long; remove it if no build is running`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
