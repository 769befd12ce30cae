/**
 * The parameter sweep for people: one row per strategy and value (cost, cost per image, the
 * swept provider's reserved utilisation and effective cost per image, success, SLO), the best
 * value marked. The terminal and forecast.md print the same rows.
 */
import { percent, usd } from '../report/format.js';
import type { ParameterPoint, ParameterSweepResult } from './forecast-types.js';
import type { Rows } from './table.js';
import { latency } from './table.js';

const NONE = '—';

/**
 * The sweep's rows.
 * @param sweep - the parameter sweep
 * @returns the rows
 */
export function parameterSweepRows(sweep: ParameterSweepResult): Rows {
  const name = sweep.parameter.split('.').slice(2).join('.');
  const reserved = sweep.strategies.some((s) => s.points.some((p) => p.reserved !== null));
  const header = [
    'strategy',
    name,
    'cost (mean)',
    'cost per image',
    ...(reserved ? ['reserved utilisation', 'fees (mean)', 'overflow (mean)', 'reserved cost per image'] : []),
    'success',
    'SLO attainment',
    'p95 latency',
  ];
  const rows = sweep.strategies.flatMap((s) =>
    s.points.map((p) => [
      s.name,
      `${p.value}${p.value === s.best ? ' (best)' : ''}`,
      usd(p.cost),
      p.costPerImage === null ? NONE : usd(p.costPerImage),
      ...(reserved ? reservedCells(p) : []),
      percent(p.successRate),
      attainmentCell(p),
      latency(p.latencyP95Ms),
    ]),
  );
  return { header, rows, align: header.map((_, i) => (i === 0 ? 'l' : 'r')) };
}

function reservedCells(p: ParameterPoint): string[] {
  const r = p.reserved;
  if (r === null) return [NONE, NONE, NONE, NONE];
  return [r.slots > 0 ? percent(r.utilisation) : NONE, usd(r.fee), usd(r.overflow), r.costPerImage === null ? NONE : usd(r.costPerImage)];
}

function attainmentCell(p: ParameterPoint): string {
  const parts: string[] = [];
  if (p.attainment.interactive !== null) parts.push(`${percent(p.attainment.interactive)} interactive`);
  if (p.attainment.batch !== null) parts.push(`${percent(p.attainment.batch)} batch`);
  const text = parts.length === 0 ? NONE : parts.join(', ');
  return p.meetsSlo ? text : `${text} (misses)`;
}

/**
 * The line above the sweep's table.
 * @param sweep - the parameter sweep
 * @returns the text
 */
export function parameterSweepText(sweep: ParameterSweepResult): string {
  return (
    `${sweep.parameter} at ${sweep.values.join(', ')}: every strategy over ${sweep.runsPerValue} run${sweep.runsPerValue === 1 ? '' : 's'} of ${sweep.horizon} per value, the same seeds for each value. ` +
    `Best: the value with the lowest mean cost whose SLO attainment reaches ${percent(sweep.targets.interactive)} interactive, ${percent(sweep.targets.batch)} batch.`
  );
}
