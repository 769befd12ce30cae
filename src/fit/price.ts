/**
 * The unit price implied by observed costs: which pricing model (docs/contract.md §2.1) and which numbers
 * explain what each billed attempt cost. Candidate models, each a linear least-squares fit of
 * cost on the request's shape:
 * - `per-image`: one price;                                          cost = p
 * - `per-image` with a `sizes` table: a price per size (and quality); cost = p[size, quality]
 * - `per-step`: cost = perStep × steps, or base + perStep × steps;
 * - `per-megapixel`: cost = perMegapixel × MP × max(1, steps / S), for each observed step count
 *   S as `includedSteps` (S = the largest: the price does not grow with steps);
 * and each requested feature either adds an amount or multiplies the price (the contract's order, docs/contract.md §2.1:
 * multipliers, then add-ons); multipliers are fitted by alternating least squares.
 * A model explains the costs exactly when every residual is within 1e-6 of the cost (float
 * noise) or, when no model does, within the logged costs' rounding step (a log that keeps 6
 * decimals is exact to ±1e-6: half a step of rounding plus the fit's own error); among
 * exact models the one with the fewest parameters wins (then fewer feature multipliers); when
 * none is exact, the smallest BIC, n ln(RSS/n) + k ln n. The winner's prices are then written
 * with the fewest significant digits that keep it exact (0.0026998693 → 0.0027).
 */
import type { Feature } from '../scenario/schema.js';
import { leastSquares } from './linear.js';

/** One billed attempt: what it cost and what was asked for. */
export interface PricedAttempt {
  readonly costUsd: number;
  readonly size: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly quality: string | undefined;
  readonly features: readonly Feature[];
}

/** Pricing as a scenario writes it (the `providers[].pricing` object). */
export type PricingOut = Record<string, unknown>;

/** A candidate model's fit, for the report. */
export interface PriceCandidate {
  /** The model, with its included steps for `per-megapixel`. */
  readonly model: string;
  /** The kind of model: one report line each (`per-megapixel` for every included-steps choice). */
  readonly kind: string;
  readonly parameters: number;
  readonly exact: boolean;
  /** Largest |residual| / cost over the rows. */
  readonly maxRelativeError: number;
}

/** The chosen price model. */
export interface PriceFit {
  readonly pricing: PricingOut;
  /** A readable name: `per-step`, `per-megapixel (30 steps included)`, `per-image by size`, ... */
  readonly model: string;
  /** The kind of model (`per-megapixel` whatever its included steps). */
  readonly kind: string;
  readonly exact: boolean;
  readonly parameters: number;
  readonly maxRelativeError: number;
  /** Rows the fit used (a systematic sample of at most MAX_PRICE_ROWS). */
  readonly rows: number;
  /** Billed attempts given (of which `rows` were fitted). */
  readonly total: number;
  /** Every model tried, best first, one line per model. */
  readonly candidates: readonly PriceCandidate[];
  /**
   * The fitted cost of a request (before any tier multiplier).
   * @param row - the request
   * @returns USD
   */
  predict(row: PricedAttempt): number;
}

/** At most this many rows are fitted (every k-th): prices are few numbers, rows are many. */
export const MAX_PRICE_ROWS = 2_000;
/** Feature treatments tried exhaustively up to this many distinct features; beyond, all add. */
const MAX_FEATURE_COMBINATIONS = 4;
const EXACT_RELATIVE = 1e-6;
const EXACT_ABSOLUTE = 1e-9;
/** Costs with more decimals than this are taken as unrounded. */
const MAX_COST_DECIMALS = 9;

/**
 * The rounding step of logged costs: the fewest decimals that write every cost, d, gives
 * 10^−d; costs computed in floating point (0.024000000000000004) give EXACT_ABSOLUTE.
 * @param costs - the costs
 * @returns the absolute tolerance of an exact fit
 */
export function roundingTolerance(costs: readonly number[]): number {
  let decimals = 0;
  for (const c of costs) {
    while (decimals <= MAX_COST_DECIMALS && Math.abs(Math.round(c * 10 ** decimals) - c * 10 ** decimals) > 1e-6) decimals++;
    if (decimals > MAX_COST_DECIMALS) return EXACT_ABSOLUTE;
  }
  return Math.max(EXACT_ABSOLUTE, 10 ** -decimals * (1 + 1e-9));
}
const ALS_STEPS = 60;

interface Row {
  readonly cost: number;
  readonly mp: number;
  readonly steps: number;
  readonly group: number;
  /** Bit f set when the request has feature f (index into the fit's feature list). */
  readonly mask: number;
}

interface BaseModel {
  readonly model: string;
  readonly kind: string;
  readonly parameters: number;
  readonly columns: number;
  /** Writes the model's columns of a row at `out[0 .. columns)`. */
  readonly fill: (row: Row, out: Float64Array) => void;
  /** The pricing object for coefficients, or undefined when they are not valid prices. */
  readonly pricing: (beta: Float64Array) => PricingOut | undefined;
}

/** Rounds a price to 8 significant digits, so 0.0008000000000000001 is written 0.0008. */
function round(x: number): number {
  return Number(x.toPrecision(8));
}

/** A coefficient that must be a price: >= 0 (tiny negative float noise reads as 0). */
function price(x: number, scale: number): number | undefined {
  if (x < -EXACT_RELATIVE * scale - EXACT_ABSOLUTE) return undefined;
  return round(Math.max(0, x));
}

/** Size and quality groups of the rows, for the `sizes` table. */
interface Groups {
  readonly keys: readonly { size: string; quality: string | undefined; pixels: number }[];
  readonly index: Map<string, number>;
}

function groupKey(size: string, quality: string | undefined): string {
  return `${size}\u0000${quality ?? ''}`;
}

function sizeTable(groups: Groups, beta: Float64Array, scale: number, counts: readonly number[]): PricingOut | undefined {
  const prices: number[] = [];
  for (let g = 0; g < groups.keys.length; g++) {
    const p = price(beta[g]!, scale);
    if (p === undefined) return undefined;
    prices.push(p);
  }
  const bySize = new Map<string, { quality: string | undefined; price: number }[]>();
  const sizes = [...groups.keys.keys()].sort((a, b) => groups.keys[a]!.pixels - groups.keys[b]!.pixels || groups.keys[a]!.size.localeCompare(groups.keys[b]!.size));
  for (const g of sizes) {
    const k = groups.keys[g]!;
    let list = bySize.get(k.size);
    if (!list) bySize.set(k.size, (list = []));
    list.push({ quality: k.quality, price: prices[g]! });
  }
  const table: Record<string, number | Record<string, number>> = {};
  for (const [size, list] of bySize) {
    if (list.length === 1 && list[0]!.quality === undefined) {
      table[size] = list[0]!.price;
      continue;
    }
    // A request without a quality pays the first quality listed: put the quality whose price
    // it paid first, or give that price a name of its own.
    const named = list.filter((q) => q.quality !== undefined).sort((a, b) => a.price - b.price || a.quality!.localeCompare(b.quality!));
    const unnamed = list.find((q) => q.quality === undefined);
    const entry: Record<string, number> = {};
    if (unnamed !== undefined) {
      const same = named.find((q) => Math.abs(q.price - unnamed.price) <= EXACT_RELATIVE * unnamed.price + EXACT_ABSOLUTE);
      const name = same?.quality ?? (named.some((q) => q.quality === 'standard') ? 'default' : 'standard');
      entry[name] = same?.price ?? unnamed.price;
    }
    for (const q of named) if (!(q.quality! in entry)) entry[q.quality!] = q.price;
    table[size] = entry;
  }
  // `price` is required; it is what a size outside the table would pay (none is sold): use the
  // most common group's price.
  let common = 0;
  for (let g = 1; g < counts.length; g++) if (counts[g]! > counts[common]!) common = g;
  return { model: 'per-image', price: prices[common]!, sizes: table };
}

/**
 * Finds the pricing model and prices that explain observed costs.
 * @param attempts - billed attempts (cost > 0) of one provider and tier
 * @returns the best model, or undefined without rows
 */
export function inferPrice(attempts: readonly PricedAttempt[]): PriceFit | undefined {
  if (attempts.length === 0) return undefined;
  const stride = Math.max(1, Math.ceil(attempts.length / MAX_PRICE_ROWS));
  const sample: PricedAttempt[] = [];
  for (let i = 0; i < attempts.length; i += stride) sample.push(attempts[i]!);

  const features: Feature[] = [...new Set(sample.flatMap((a) => a.features))].sort();
  const featureIndex = new Map(features.map((f, i) => [f, i]));
  const groups: Groups = { keys: [], index: new Map() };
  const counts: number[] = [];
  const stepValues = new Set<number>();
  let scale = 0;
  const rows: Row[] = sample.map((a) => {
    const key = groupKey(a.size, a.quality);
    let group = groups.index.get(key);
    if (group === undefined) {
      group = groups.keys.length;
      groups.index.set(key, group);
      (groups.keys as { size: string; quality: string | undefined; pixels: number }[]).push({ size: a.size, quality: a.quality, pixels: a.width * a.height });
      counts.push(0);
    }
    counts[group]!++;
    stepValues.add(a.steps);
    scale = Math.max(scale, a.costUsd);
    let mask = 0;
    for (const f of a.features) mask |= 1 << featureIndex.get(f)!;
    return { cost: a.costUsd, mp: (a.width * a.height) / 1e6, steps: a.steps, group, mask };
  });
  const steps = [...stepValues].sort((a, b) => a - b);
  const maxSteps = steps[steps.length - 1]!;

  const bases: BaseModel[] = [
    {
      model: 'per-image',
      kind: 'per-image',
      parameters: 1,
      columns: 1,
      fill: (_r, out) => {
        out[0] = 1;
      },
      pricing: (b) => {
        const p = price(b[0]!, scale);
        return p === undefined ? undefined : { model: 'per-image', price: p };
      },
    },
    {
      model: 'per-step',
      kind: 'per-step',
      parameters: 1,
      columns: 1,
      fill: (r, out) => {
        out[0] = r.steps;
      },
      pricing: (b) => {
        const p = price(b[0]!, scale);
        return p === undefined ? undefined : { model: 'per-step', perStep: p };
      },
    },
    {
      model: 'per-step with base',
      kind: 'per-step with base',
      parameters: 2,
      columns: 2,
      fill: (r, out) => {
        out[0] = 1;
        out[1] = r.steps;
      },
      pricing: (b) => {
        const base = price(b[0]!, scale);
        const perStep = price(b[1]!, scale);
        return base === undefined || perStep === undefined ? undefined : { model: 'per-step', perStep, base };
      },
    },
    ...steps.map(
      (s): BaseModel => ({
        model: s === maxSteps ? 'per-megapixel' : `per-megapixel (${s} steps included)`,
        kind: 'per-megapixel',
        parameters: s === maxSteps ? 1 : 2,
        columns: 1,
        fill: (r, out) => {
          out[0] = r.mp * Math.max(1, r.steps / s);
        },
        pricing: (b) => {
          const p = price(b[0]!, scale);
          return p === undefined ? undefined : { model: 'per-megapixel', perMegapixel: p, includedSteps: s };
        },
      }),
    ),
  ];
  if (groups.keys.length > 1) {
    const g = groups.keys.length;
    bases.push({
      model: 'per-image by size',
      kind: 'per-image by size',
      parameters: g,
      columns: g,
      fill: (r, out) => {
        out.fill(0, 0, g);
        out[r.group] = 1;
      },
      pricing: (b) => sizeTable(groups, b, scale, counts),
    });
  }

  const F = features.length;
  const combinations = F <= MAX_FEATURE_COMBINATIONS ? 1 << F : 1;
  // Exact to float noise first; only when no model is, exact to the log's rounding of costs.
  const choose = (tolerance: number): { best: (Fitted & { base: BaseModel }) | undefined; bestByModel: Map<string, PriceCandidate & { rss: number }> } => {
    let best: (Fitted & { base: BaseModel }) | undefined;
    const bestByModel = new Map<string, PriceCandidate & { rss: number }>();
    // Feature multipliers need alternating least squares, which is slow on many rows: of the
    // included-steps choices of per-megapixel, only the two that fit best with add-ons get it.
    const additiveRss = new Map<BaseModel, number>();
    for (const base of bases) if (base.kind === 'per-megapixel') additiveRss.set(base, fitModel(rows, base, F, 0, scale, tolerance)?.rss ?? Infinity);
    const megapixelShortlist = new Set([...additiveRss].sort((a, b) => a[1] - b[1]).slice(0, 2).map(([b]) => b));
    for (const base of bases) {
      const tries = base.kind === 'per-megapixel' && !megapixelShortlist.has(base) ? 1 : combinations;
      for (let multiplyMask = 0; multiplyMask < tries; multiplyMask++) {
        const fit = fitModel(rows, base, F, multiplyMask, scale, tolerance);
        if (fit === undefined) continue;
        const candidate: PriceCandidate & { rss: number } = {
          model: base.model,
          kind: base.kind,
          parameters: base.parameters + F,
          exact: fit.exact,
          maxRelativeError: fit.maxRelativeError,
          rss: fit.rss,
        };
        const seen = bestByModel.get(base.kind);
        if (seen === undefined || better(candidate, seen, rows.length)) bestByModel.set(base.kind, candidate);
        if (best === undefined || betterFit(fit, base, best, best.base, rows.length)) best = { ...fit, base };
      }
    }
    return { best, bestByModel };
  };
  let tolerance = EXACT_ABSOLUTE;
  let { best, bestByModel } = choose(tolerance);
  const rounding = roundingTolerance(rows.map((r) => r.cost));
  if (best !== undefined && !best.exact && rounding > tolerance) {
    tolerance = rounding;
    ({ best, bestByModel } = choose(tolerance));
  }
  if (best === undefined) return undefined;
  const chosen = best.exact ? snap(rows, best, F, scale, tolerance) : best;
  const pricing = chosen.base.pricing(chosen.beta)!;
  const featureOut: Record<string, { add: number } | { multiply: number }> = {};
  features.forEach((f, i) => {
    if ((chosen.multiplyMask >> i) & 1) featureOut[f] = { multiply: round(chosen.multipliers[i]!) };
    else featureOut[f] = { add: price(chosen.beta[chosen.base.columns + addIndex(chosen.multiplyMask, i)]!, scale) ?? 0 };
  });
  if (F > 0) pricing.features = featureOut;
  const candidates = [...bestByModel.values()]
    .map((c): PriceCandidate => ({ model: c.model, kind: c.kind, parameters: c.parameters, exact: c.exact, maxRelativeError: c.maxRelativeError }))
    .sort((a, b) => Number(b.exact) - Number(a.exact) || a.parameters - b.parameters || a.maxRelativeError - b.maxRelativeError);
  const fill = new Float64Array(chosen.base.columns);
  return {
    pricing,
    model: chosen.base.model,
    kind: chosen.base.kind,
    exact: chosen.exact,
    parameters: chosen.base.parameters + F,
    maxRelativeError: chosen.maxRelativeError,
    rows: rows.length,
    total: attempts.length,
    candidates,
    predict: (a) => {
      const key = groups.index.get(groupKey(a.size, a.quality));
      const row: Row = { cost: 0, mp: (a.width * a.height) / 1e6, steps: a.steps, group: key ?? 0, mask: 0 };
      chosen.base.fill(row, fill);
      let base = 0;
      for (let c = 0; c < chosen.base.columns; c++) base += chosen.beta[c]! * fill[c]!;
      let add = 0;
      for (const f of a.features) {
        const i = featureIndex.get(f);
        if (i === undefined) continue;
        if ((chosen.multiplyMask >> i) & 1) base *= chosen.multipliers[i]!;
        else add += chosen.beta[chosen.base.columns + addIndex(chosen.multiplyMask, i)]!;
      }
      return base + add;
    },
  };
}

/** Position of additive feature i among the additive features (those not in the multiply mask). */
function addIndex(multiplyMask: number, i: number): number {
  let k = 0;
  for (let j = 0; j < i; j++) if (!((multiplyMask >> j) & 1)) k++;
  return k;
}

interface Fitted {
  readonly beta: Float64Array;
  readonly multipliers: Float64Array;
  readonly multiplyMask: number;
  readonly rss: number;
  readonly exact: boolean;
  readonly maxRelativeError: number;
}

function bic(rss: number, n: number, k: number, scale: number): number {
  const floor = n * (1e-12 * scale) ** 2 + Number.MIN_VALUE;
  return n * Math.log(Math.max(rss, floor) / n) + k * Math.log(n);
}

function better(a: PriceCandidate & { rss: number }, b: PriceCandidate & { rss: number }, n: number): boolean {
  if (a.exact !== b.exact) return a.exact;
  if (a.exact) return a.parameters < b.parameters || (a.parameters === b.parameters && a.maxRelativeError < b.maxRelativeError);
  return bic(a.rss, n, a.parameters, 1) < bic(b.rss, n, b.parameters, 1);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function betterFit(a: Fitted, aBase: BaseModel, b: Fitted, bBase: BaseModel, n: number): boolean {
  const ka = aBase.parameters;
  const kb = bBase.parameters;
  if (a.exact !== b.exact) return a.exact;
  if (a.exact) {
    if (ka !== kb) return ka < kb;
    // Equally exact and as simple: the model tried first (per-image, per-step, per-megapixel,
    // then the table) is the plainer reading, so a tie keeps it.
    return popcount(a.multiplyMask) < popcount(b.multiplyMask);
  }
  return bic(a.rss, n, ka, 1) < bic(b.rss, n, kb, 1);
}

/**
 * Fits one base model with one treatment of the features: cost = base × Π multipliers + Σ adds.
 * @returns the fit, or undefined when the columns are collinear or a coefficient is not a price
 */
function fitModel(rows: readonly Row[], base: BaseModel, features: number, multiplyMask: number, scale: number, tolerance: number): Fitted | undefined {
  const adds: number[] = [];
  for (let f = 0; f < features; f++) if (!((multiplyMask >> f) & 1)) adds.push(f);
  const columns = base.columns + adds.length;
  const multipliers = new Float64Array(features).fill(1);
  const z = new Float64Array(base.columns);
  const factor = (r: Row): number => {
    let m = 1;
    for (let f = 0; f < features; f++) if ((multiplyMask >> f) & 1 && (r.mask >> f) & 1) m *= multipliers[f]!;
    return m;
  };
  const baseOf = (r: Row, beta: Float64Array): number => {
    base.fill(r, z);
    let s = 0;
    for (let c = 0; c < base.columns; c++) s += beta[c]! * z[c]!;
    return s;
  };
  let beta: Float64Array | undefined;
  let lastRss = Infinity;
  for (let step = 0; step < ALS_STEPS; step++) {
    beta = leastSquares(
      columns,
      rows.length,
      (i, out) => {
        const r = rows[i]!;
        base.fill(r, out);
        const m = factor(r);
        for (let c = 0; c < base.columns; c++) out[c]! *= m;
        for (let k = 0; k < adds.length; k++) out[base.columns + k] = (r.mask >> adds[k]!) & 1;
      },
      (i) => rows[i]!.cost,
    );
    if (beta === undefined) return undefined;
    if (multiplyMask === 0) break;
    let moved = 0;
    for (let f = 0; f < features; f++) {
      if (!((multiplyMask >> f) & 1)) continue;
      let num = 0;
      let den = 0;
      for (const r of rows) {
        if (!((r.mask >> f) & 1)) continue;
        let add = 0;
        for (let k = 0; k < adds.length; k++) if ((r.mask >> adds[k]!) & 1) add += beta[base.columns + k]!;
        const p = (baseOf(r, beta) * factor(r)) / multipliers[f]!;
        num += (r.cost - add) * p;
        den += p * p;
      }
      if (den > 0) {
        const m = num / den;
        moved = Math.max(moved, Math.abs(m - multipliers[f]!));
        multipliers[f] = m;
      }
    }
    if (moved < 1e-13) break;
    // Alternating least squares only ever lowers the RSS; stop once it no longer does.
    let stepRss = 0;
    for (const r of rows) {
      let pred = baseOf(r, beta) * factor(r);
      for (let k = 0; k < adds.length; k++) if ((r.mask >> adds[k]!) & 1) pred += beta[base.columns + k]!;
      stepRss += (r.cost - pred) ** 2;
    }
    if (stepRss >= lastRss * (1 - 1e-9)) break;
    lastRss = stepRss;
  }
  if (beta === undefined) return undefined;
  const pricing = base.pricing(beta);
  if (pricing === undefined) return undefined;
  for (let k = 0; k < adds.length; k++) if (price(beta[base.columns + k]!, scale) === undefined) return undefined;
  for (let f = 0; f < features; f++) if ((multiplyMask >> f) & 1 && !(multipliers[f]! >= 0)) return undefined;
  return { beta, multipliers, multiplyMask, ...evaluate(rows, base, features, multiplyMask, beta, multipliers, tolerance) };
}

/** Residuals of a model with given coefficients: RSS, exactness, largest relative error. */
function evaluate(
  rows: readonly Row[],
  base: BaseModel,
  features: number,
  multiplyMask: number,
  beta: Float64Array,
  multipliers: Float64Array,
  tolerance: number,
): { rss: number; exact: boolean; maxRelativeError: number } {
  const z = new Float64Array(base.columns);
  let rss = 0;
  let exact = true;
  let maxRelativeError = 0;
  for (const r of rows) {
    base.fill(r, z);
    let pred = 0;
    for (let c = 0; c < base.columns; c++) pred += beta[c]! * z[c]!;
    let k = 0;
    let add = 0;
    for (let f = 0; f < features; f++) {
      if ((multiplyMask >> f) & 1) {
        if ((r.mask >> f) & 1) pred *= multipliers[f]!;
      } else {
        if ((r.mask >> f) & 1) add += beta[base.columns + k]!;
        k++;
      }
    }
    const res = r.cost - (pred + add);
    rss += res * res;
    if (Math.abs(res) > Math.max(EXACT_RELATIVE * Math.abs(r.cost), tolerance)) exact = false;
    maxRelativeError = Math.max(maxRelativeError, Math.abs(res) / r.cost);
  }
  return { rss, exact, maxRelativeError };
}

/** An exact fit with its coefficients at the fewest significant digits (2 to 8) that keep it exact. */
function snap(rows: readonly Row[], fit: Fitted & { base: BaseModel }, features: number, scale: number, tolerance: number): Fitted & { base: BaseModel } {
  for (let digits = 2; digits < 8; digits++) {
    const beta = fit.beta.map((b) => (Math.abs(b) < EXACT_ABSOLUTE * scale ? 0 : Number(b.toPrecision(digits))));
    const multipliers = fit.multipliers.map((m) => Number(m.toPrecision(digits)));
    const e = evaluate(rows, fit.base, features, fit.multiplyMask, beta, multipliers, tolerance);
    if (e.exact) return { ...fit, beta, multipliers, ...e };
  }
  return fit;
}
