/**
 * The forecast for people, as rows: the strategy summary (cost spread, cost per image, latency,
 * success, budget), the credits plan and the sweep. The terminal prints them as plain tables;
 * forecast.md uses the same rows.
 */
import { decimal, percent, table, usd } from '../report/format.js';
import type { Forecast, OracleForecast, StrategyForecast, StrategySweep, SweepResult } from './forecast-types.js';
import { parameterSweepRows, parameterSweepText } from './parameter-sweep-table.js';

const NONE = '—';

/** Rows of a table: header, cells, alignment. */
export interface Rows {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly align: readonly ('l' | 'r')[];
}

/**
 * Formats a latency in ms for a table (batch work that waits for a window takes hours).
 * @param ms - milliseconds
 * @returns e.g. `640 ms`, `8.42 s`, `12.5 min`, `11.8 h`
 */
export function latency(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 3_600_000) return `${decimal(ms / 3_600_000)} h`;
  if (ms >= 600_000) return `${decimal(ms / 60_000)} min`;
  return ms >= 1000 ? `${decimal(ms / 1000)} s` : `${Math.round(ms)} ms`;
}

/**
 * Formats a rate per second.
 * @param perSec - the rate
 * @returns e.g. `48.2/s`
 */
export function rate(perSec: number): string {
  return `${decimal(perSec)}/s`;
}

function budgetCells(s: StrategyForecast): string[] {
  if (s.budget === null) return [NONE, NONE];
  const day = s.budget.exceedDay;
  return [percent(s.budget.exceedProbability), day === null ? NONE : `day ${decimal(day.p50)} (mean ${decimal(day.mean)})`];
}

/**
 * The strategy summary: cost over the horizon (mean and percentiles over the runs), regret
 * against the hindsight oracle (median; without --no-oracle), cost per image, p95 latency,
 * success rate (medians over the runs) and the budget.
 * @param forecast - the forecast
 * @returns the rows
 */
export function strategyRows(forecast: Forecast): Rows {
  // The regret column only when the runs computed the oracle (not with --no-oracle).
  const regret = forecast.oracle !== null;
  // With several urgency classes, p95 and SLO per class: never one percentile over classes with
  // different deadlines.
  const urgencies = (['interactive', 'batch'] as const).filter((u) => forecast.strategies.some((s) => s.byUrgency[u] !== undefined));
  const perClass = urgencies.length > 1;
  const latencyHeader = perClass ? urgencies.flatMap((u) => [`${u} p95 P50`, `${u} SLO P50`]) : ['p95 latency P50'];
  const latencyCells = (s: StrategyForecast): string[] =>
    perClass
      ? urgencies.flatMap((u) => {
          const c = s.byUrgency[u];
          return c === undefined ? [NONE, NONE] : [latency(c.latencyP95Ms.p50), percent(c.sloAttainment.p50)];
        })
      : [latency(s.latencyP95Ms.p50)];
  const header = ['strategy', 'cost mean', 'P50', 'P90', 'P99', ...(regret ? ['regret P50'] : []), 'per image P50', ...latencyHeader, 'success P50', 'success P10', 'P(over budget)', 'budget runs out'];
  return {
    header,
    align: header.map((_, i) => (i === 0 || i === header.length - 1 ? 'l' : 'r')),
    rows: forecast.strategies.map((s) => [
      s.name,
      usd(s.cost.mean),
      usd(s.cost.p50),
      usd(s.cost.p90),
      usd(s.cost.p99),
      ...(regret ? [s.regret === null ? NONE : usd(s.regret.regretUsd.p50)] : []),
      usd(s.costPerImage.p50),
      ...latencyCells(s),
      percent(s.successRate.p50),
      percent(s.successRate.p10),
      ...budgetCells(s),
    ]),
  };
}

/**
 * The credits plan of every strategy and credits account.
 * @param forecast - the forecast
 * @returns the rows (none without credits accounts)
 */
export function creditsRows(forecast: Forecast): Rows {
  const rows: string[][] = [];
  for (const s of forecast.strategies) {
    for (const [account, c] of Object.entries(s.credits)) {
      const buy = c.bundlesToBuy.length === 0 ? 'none (top-ups only)' : c.bundlesToBuy.map((b) => `${b.count} × ${String(b.bundle)}`).join(', ');
      rows.push([
        s.name,
        account,
        buy,
        usd(c.plan.best.expectedCostUsd),
        usd(c.plan.current.expectedCostUsd),
        usd(c.plan.savingUsd),
        decimal(c.expectedExpiredCredits),
        decimal(c.plan.best.expectedTopUps),
      ]);
    }
  }
  return {
    header: ['strategy', 'account', 'buy up front', 'expected cost', 'as scenario buys', 'saving', 'credits expiring', 'top-ups'],
    align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
    rows,
  };
}

function saturationText(s: StrategySweep): string {
  const sat = s.saturates;
  if (sat === null) return NONE;
  const figure =
    sat.by === 'slots' ? `${percent(sat.utilisation)} of slots` : sat.by === 'rate-limit' ? `${percent(sat.rateLimitedShare)} 429s` : `${percent(sat.overloadedShare)} 503s`;
  return `${sat.provider} (${figure} at ${rate(sat.ratePerSec)})`;
}

/**
 * The sweep: each strategy's sustainable rate and the provider that saturates first.
 * @param sweep - the sweep result
 * @returns the rows
 */
export function sweepRows(sweep: SweepResult): Rows {
  return {
    header: ['strategy', 'sustainable rate', 'attainment there', 'saturates first', 'probes'],
    align: ['l', 'r', 'r', 'l', 'r'],
    rows: sweep.strategies.map((s) => [
      s.name,
      s.sustainableRatePerSec === null ? `< ${rate(sweep.fromPerSec)}` : s.aboveRange ? `>= ${rate(s.sustainableRatePerSec)}` : rate(s.sustainableRatePerSec),
      attainmentText(s, sweep),
      saturationText(s),
      String(s.probes.length),
    ]),
  };
}

/** Attainment per class at the sustainable rate (at the lowest rate when none held). */
function attainmentText(s: StrategySweep, sweep: SweepResult): string {
  const at = s.sustainableRatePerSec ?? sweep.fromPerSec;
  const probe = s.probes.find((p) => p.ratePerSec === at);
  if (probe === undefined) return NONE;
  const parts: string[] = [];
  if (probe.attainment.interactive !== null) parts.push(`${percent(probe.attainment.interactive)} interactive`);
  if (probe.attainment.batch !== null) parts.push(`${percent(probe.attainment.batch)} batch`);
  return parts.length === 0 ? NONE : parts.join(', ');
}

/**
 * One line on the hindsight oracle, for the terminal and forecast.md; when a strategy's median
 * regret is negative, what that means.
 * @param forecast - a forecast with its oracle
 * @param oracle - the forecast's oracle
 * @returns the text
 */
export function oracleText(forecast: Forecast, oracle: OracleForecast): string {
  const text =
    `Hindsight oracle (the cheapest routing on each run's realised draws): plan ${usd(oracle.cost.p50)} at the median (P10 ${usd(oracle.cost.p10)}, P90 ${usd(oracle.cost.p90)}); ` +
    `no router could pay less than ${usd(oracle.unconstrainedCost.p50)} (median). Regret = cost − plan, per run.`;
  const below = forecast.strategies.some((s) => s.regret !== null && s.regret.regretUsd.p50 < 0);
  return below
    ? `${text} A negative regret is a strategy that paid less than the plan by serving fewer requests within their SLO (failed, rejected by the budget, or late): ` +
        'the plan ignores the budget and serves every request it can. `regret.lowerBoundUsd` in forecast.json prices exactly the service each strategy gave.'
    : text;
}

/**
 * The forecast for the terminal: the strategy summary, the credits plan and the sweep.
 * @param forecast - the forecast
 * @returns the text, ending with a newline
 */
export function renderForecastTable(forecast: Forecast): string {
  const t = (r: Rows): string => table(r.header, r.rows, r.align);
  const parts = [`${forecast.scenario}: ${forecast.runs} runs over ${forecast.horizon.duration} (from ${forecast.horizon.start})`, '', t(strategyRows(forecast))];
  if (forecast.oracle !== null) parts.push('', oracleText(forecast, forecast.oracle));
  const credits = creditsRows(forecast);
  if (credits.rows.length > 0) parts.push('', 'Credits: bundles to buy up front for the lowest expected cost', t(credits));
  if (forecast.sweep) {
    const sw = forecast.sweep;
    parts.push(
      '',
      `Sweep ${rate(sw.fromPerSec)}..${rate(sw.toPerSec)} (${sw.probeRuns} runs of ${sw.probeHorizon} per probe; SLO attainment >= ${percent(sw.targets.interactive)} interactive, ${percent(sw.targets.batch)} batch)`,
      t(sweepRows(sw)),
    );
  }
  const ps = forecast.parameterSweep;
  if (ps !== undefined) parts.push('', parameterSweepText(ps), t(parameterSweepRows(ps)));
  return `${parts.join('\n')}\n`;
}
