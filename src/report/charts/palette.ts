/**
 * Colours and marks of the charts: colour-blind-safe palettes, and the rule that gives a strategy
 * (by its index in the report) and a provider (by its index in the scenario) the same look in
 * every chart.
 */

/**
 * Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2002), in the order strategies
 * get them; yellow last because it is the faintest on white.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7', '#000000', '#F0E442'] as const;

/** Paul Tol's "muted" colour-blind-safe palette, for providers (so they never look like strategies). */
export const TOL_MUTED = ['#332288', '#88CCEE', '#44AA99', '#117733', '#999933', '#DDCC77', '#CC6677', '#882255', '#AA4499'] as const;

/** Point shapes, one per round of the palette: the 9th strategy has the 1st colour and another shape. */
const POINT_STYLES = ['circle', 'triangle', 'rectRot', 'rect', 'star', 'crossRot'] as const;

/** Line dashes, one per round of the palette (solid, dashed, dotted, ...). */
const DASHES: readonly (readonly number[])[] = [[], [10, 6], [2, 4], [12, 4, 2, 4]];

/** How one series looks. */
export interface SeriesStyle {
  readonly color: string;
  readonly pointStyle: (typeof POINT_STYLES)[number];
  readonly dash: readonly number[];
  /** Past the first round of colours: the point shape is drawn along lines too (a few marks), not only in scatter plots. */
  readonly marked: boolean;
}

function styleAt(palette: readonly string[], index: number): SeriesStyle {
  const round = Math.floor(index / palette.length);
  return {
    color: palette[index % palette.length]!,
    pointStyle: POINT_STYLES[round % POINT_STYLES.length]!,
    dash: DASHES[round % DASHES.length]!,
    marked: round > 0,
  };
}

/**
 * The look of a strategy in every chart: its colour from {@link OKABE_ITO} by its index in the
 * report; past eight strategies the colours repeat with another point shape and line dash.
 * @param index - the strategy's position in `report.strategies`
 * @returns colour, point shape and dash
 */
export function strategyStyle(index: number): SeriesStyle {
  return styleAt(OKABE_ITO, index);
}

/**
 * The look of a provider in every chart, from {@link TOL_MUTED} by its index in the scenario.
 * @param index - the provider's position in the scenario
 * @returns colour, point shape and dash
 */
export function providerStyle(index: number): SeriesStyle {
  return styleAt(TOL_MUTED, index);
}

/**
 * Colours of request outcomes (Paul Tol's "vibrant" and "bright" palettes): green-blue for
 * success, warm colours for failures, greys for rejections.
 */
export const OUTCOME_COLORS: Readonly<Record<string, string>> = {
  'first try': '#009988',
  'after failover or retry': '#88CCEE',
  'server-error': '#CC3311',
  timeout: '#EE7733',
  generative: '#EE3377',
  filtered: '#AA3377',
  'rate-limited': '#0077BB',
  overloaded: '#332288',
  'connection-reset': '#000000',
  'no-candidate': '#997700',
  'client-error': '#882255',
};

/** Rejection reasons and anything unknown cycle through these greys and browns. */
export const OTHER_OUTCOME_COLORS = ['#BBBBBB', '#777777', '#DDAA33', '#555555', '#CCBB44', '#999999'] as const;
