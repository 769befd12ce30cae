#!/usr/bin/env node
// The imgsim command. The TypeScript sources are compiled to dist/ by `npm install` (prepare)
// and by `npm pack`; this shim only starts the compiled CLI: its bundle (dist/bundle/, fewer
// files to load: see scripts/bundle-cli.js), or the modules tsc wrote where there is no bundle
// or it is older than them (a bare `tsc` since the last `npm run build`).
import { statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules on disk for the next start; absent on Node 20.
module.enableCompileCache?.();
const bundle = new URL('../dist/bundle/imgsim.js', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const bundled = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
const emitted = statSync(compiled, { throwIfNoEntry: false })?.mtimeMs;
if (bundled === undefined && emitted === undefined) {
  process.stderr.write('imgsim: dist/ is missing; run `npm install` (or `npm run build`) in the imgsim folder first\n');
  process.exit(2);
}
const entry = bundled !== undefined && (emitted === undefined || bundled >= emitted) ? bundle : compiled;
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
