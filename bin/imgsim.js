#!/usr/bin/env node
// The imgsim command. The TypeScript sources are compiled to dist/ by `npm install` (prepare)
// and by `npm pack`; this shim only starts the compiled CLI: its bundle (dist/bundle/, fewer
// files to load: see scripts/bundle-cli.js), or the modules tsc wrote where there is no bundle.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps the compiled code of the modules on disk for the next start; absent on Node 20.
module.enableCompileCache?.();
const bundle = new URL('../dist/bundle/imgsim.js', import.meta.url);
const entry = existsSync(bundle) ? bundle : new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('imgsim: dist/ is missing; run `npm install` (or `npm run build`) in the imgsim folder first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
