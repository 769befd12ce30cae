/**
 * Draws the report's charts to PNG files with Chart.js on @napi-rs/canvas (Skia, prebuilt: no
 * Cairo, no install scripts). Both are imported on first use, so `imgsim run` without `png`
 * never loads them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { BACKGROUND_PLUGIN_ID, paintWhiteBackground } from './background.js';
import { CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from './config.js';
import { CHART_HOOKS, attachHooks } from './hooks.js';

/** Font families tried for chart text, in order; the first one installed wins. */
const PREFERRED_FONTS = ['DejaVu Sans', 'Liberation Sans', 'Noto Sans', 'Arial', 'Helvetica'] as const;

/** A chart written to a file. */
export interface WrittenChart {
  readonly id: string;
  readonly title: string;
  /** Path relative to the report folder, with forward slashes: `charts/cost-over-time.png`. */
  readonly path: string;
}

/** What {@link renderChartPngs} did. */
export interface PngResult {
  readonly written: WrittenChart[];
  /** Problems worth telling the user (no fonts installed). */
  readonly warnings: string[];
}

/**
 * Renders one chart to PNG bytes.
 * @param spec - a drawn chart
 * @returns the PNG file's bytes
 */
export async function renderChartPng(spec: Extract<ChartSpec, { kind: 'chart' }>): Promise<Buffer> {
  const { Chart, canvasModule } = await loadRenderer();
  const canvas = canvasModule.createCanvas(CHART_WIDTH, CHART_HEIGHT);
  // Chart.js adds its own bookkeeping to the objects it gets: give it a copy.
  const config = attachHooks(structuredClone(spec.config), CHART_HOOKS);
  // In Node, Chart.js takes a 2D context directly (its BasicPlatform); the canvas types differ
  // from the DOM's only in members Chart.js does not use.
  const args = [canvas.getContext('2d'), config] as unknown as ChartArgs;
  const chart = new Chart(...args);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

/**
 * Renders every drawn chart to `<dir>/charts/<id>.png`.
 * @param specs - the charts (skipped ones are ignored)
 * @param dir - the report folder
 * @returns the files written, in order, and warnings
 */
export async function renderChartPngs(specs: readonly ChartSpec[], dir: string): Promise<PngResult> {
  const { fontFamily } = await loadRenderer();
  const warnings =
    fontFamily === undefined
      ? ['no fonts found for chart text (the PNG charts have no labels); reinstall without --omit=optional, or install a font package such as fonts-dejavu-core']
      : [];
  const written: WrittenChart[] = [];
  for (const spec of specs) {
    if (spec.kind !== 'chart') continue;
    const file = `charts/${spec.id}.png`;
    writeFileAtomic(path.join(dir, ...file.split('/')), await renderChartPng(spec));
    written.push({ id: spec.id, title: spec.title, path: file });
  }
  return { written, warnings };
}

type ChartModule = typeof import('chart.js');
type CanvasModule = typeof import('@napi-rs/canvas');
/** What `new Chart(item, config)` takes (one config type for every chart type). */
type ChartArgs = ConstructorParameters<ChartModule['Chart']>;

interface Renderer {
  readonly Chart: ChartModule['Chart'];
  readonly canvasModule: CanvasModule;
  readonly fontFamily: string | undefined;
}

let renderer: Promise<Renderer> | undefined;

/** DejaVu Sans from the optional `dejavu-fonts-ttf` package: the same labels on every machine, system fonts or none. */
const BUNDLED_FONT = 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf';

/**
 * Registers the bundled DejaVu Sans with the canvas when the optional package is installed
 * (`npm install` installs it; `--omit=optional` leaves the system fonts alone).
 * @param fonts - the canvas module's font registry
 */
function registerBundledFont(fonts: CanvasModule['GlobalFonts']): void {
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve(BUNDLED_FONT);
  } catch {
    return; // not installed: the system fonts decide
  }
  fonts.registerFromPath(file, 'DejaVu Sans');
}

/** Imports and sets up Chart.js and the canvas once: all chart types, the background, the font. */
function loadRenderer(): Promise<Renderer> {
  renderer ??= (async () => {
    const [chartModule, canvasModule] = await Promise.all([import('chart.js'), import('@napi-rs/canvas')]);
    const { Chart, registerables } = chartModule;
    Chart.register(...registerables, { id: BACKGROUND_PLUGIN_ID, beforeDraw: paintWhiteBackground });
    registerBundledFont(canvasModule.GlobalFonts);
    const installed = new Set(canvasModule.GlobalFonts.families.map((f) => f.family));
    const fontFamily = PREFERRED_FONTS.find((f) => installed.has(f)) ?? [...installed].sort()[0];
    if (fontFamily !== undefined) Chart.defaults.font.family = `'${fontFamily}', sans-serif`;
    return { Chart, canvasModule, fontFamily };
  })();
  return renderer;
}
