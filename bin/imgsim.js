#!/usr/bin/env node
// The imgsim command. The TypeScript sources are compiled to dist/ by `npm install` (prepare)
// and by `npm pack`; this shim only starts the compiled CLI.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('imgsim: dist/ is missing; run `npm install` (or `npm run build`) in the imgsim folder first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
