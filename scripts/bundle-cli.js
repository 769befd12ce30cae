// Bundles the compiled CLI (dist/cli/main.js, with zod and yaml) into dist/bundle/, run by
// `npm run build` after tsc. A fresh `imgsim` process then loads ~35 files instead of ~230 (zod
// alone is 95 modules, 75 of them locales the CLI never uses, and yaml is CommonJS), which takes
// ~150 ms of CPU off every invocation. bin/imgsim.js starts the bundle, or dist/cli/main.js where
// it is missing. Each command stays a chunk of its own, loaded when it runs.
//
// The worker threads (the oracle's, forecast's, serve's) are entries of the same bundle, so a
// thread loads a few files too (the oracle's thread loaded ~230 before, as the CLI did): each
// `new URL('./x.js', import.meta.url)` of a compiled module is re-aimed from the bundle's folder,
// at the worker's bundled entry or at the file in dist/. Packages loaded on demand (canvas,
// chart.js, autocannon, jiti, msw) stay outside.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const outDir = path.join(dist, 'bundle');

/** The bundle's entries: the CLI and the worker threads it starts (name → compiled module). */
const ENTRIES = {
  imgsim: path.join(dist, 'cli', 'main.js'),
  'oracle-worker': path.join(dist, 'sim', '_oracle-worker.js'),
  'forecast-worker': path.join(dist, 'forecast', '_worker.js'),
  'serve-worker': path.join(dist, 'cli', '_serve-worker.js'),
};
const entryNames = new Map(Object.entries(ENTRIES).map(([name, file]) => [file, name]));

/** `new URL('<relative>', import.meta.url)` in a compiled module: re-aimed from the bundle's folder. */
const RELATIVE_URL = /new URL\((['"])(\.\.?\/[^'"]+)\1, import\.meta\.url\)/g;

const relativeUrls = {
  name: 'imgsim-relative-urls',
  transform(code, id) {
    if (!id.startsWith(dist + path.sep) || !code.includes('import.meta.url')) return null;
    return code.replace(RELATIVE_URL, (_, quote, rel) => {
      const file = path.resolve(path.dirname(id), rel);
      const entry = entryNames.get(file);
      let target = entry === undefined ? path.relative(outDir, file).split(path.sep).join('/') : `./${entry}.js`;
      if (!target.startsWith('.')) target = `./${target}`;
      return `new URL(${quote}${target}${quote}, import.meta.url)`;
    });
  },
};

rmSync(outDir, { recursive: true, force: true });
await build({
  input: ENTRIES,
  platform: 'node',
  external: [/^node:/, '@napi-rs/canvas', 'chart.js', 'autocannon', 'jiti', 'msw', 'dejavu-fonts-ttf'],
  plugins: [relativeUrls],
  logLevel: 'warn',
  output: { dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
});
