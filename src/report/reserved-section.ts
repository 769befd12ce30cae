/**
 * The report's "Reserved capacity" section: per strategy and provider with a reservation, how
 * busy the reserved slots were and what an image cost with the fee counted in.
 */
import type { Report } from '../metrics/report-types.js';
import { count, percent, usd } from './format.js';
import type { ReportSection } from './markdown.js';

/**
 * The section, when some provider has a reservation.
 * @param report - the report
 * @returns the section, or undefined
 */
export function reservedSection(report: Report): ReportSection | undefined {
  const rows: { text: string }[][] = [];
  for (const s of report.strategies) {
    for (const id of Object.keys(s.providers).sort()) {
      const r = s.providers[id]!.reserved;
      if (r === undefined) continue;
      const cells = [
        s.name,
        id,
        count(r.slots),
        percent(r.utilisation),
        `${count(r.attempts.reserved)} / ${count(r.attempts.overflow)} / ${count(r.attempts.refused)}`,
        usd(r.fee),
        usd(r.marginal),
        usd(r.overflow),
        count(r.images),
        r.images > 0 ? usd(r.costPerImage) : '—',
      ];
      rows.push(cells.map((text) => ({ text })));
    }
  }
  if (rows.length === 0) return undefined;
  const header = ['strategy', 'provider', 'slots', 'utilisation', 'reserved / overflow / refused', 'fees', 'marginal', 'overflow cost', 'images', 'cost per image'];
  return {
    id: 'reserved',
    title: 'Reserved capacity',
    table: { header, align: header.map((_, i) => (i < 2 ? 'l' : 'r')), rows },
    after: {
      text:
        'Utilisation: reserved slot time in the window ÷ (slots × window). Attempts: on a reserved slot / overflowed on demand / refused (no overflow). ' +
        'Cost per image: (fees + marginal + overflow cost) ÷ successful images at the provider.',
    },
  };
}

/**
 * For the terminal: one line per strategy and provider with a reservation, and why there is no
 * oracle line.
 * @param report - the report
 * @returns the lines, none without a reservation
 */
export function reservedSummaryLines(report: Report): string[] {
  const lines: string[] = [];
  for (const s of report.strategies) {
    for (const id of Object.keys(s.providers).sort()) {
      const r = s.providers[id]!.reserved;
      if (r === undefined) continue;
      const perImage = r.images > 0 ? usd(r.costPerImage) : '—';
      lines.push(
        `reserved ${id} (${s.name}): ${count(r.slots)} slots ${percent(r.utilisation)} busy; fees ${usd(r.fee)} + marginal ${usd(r.marginal)} + overflow ${usd(r.overflow)} = ${perImage} per image`,
      );
    }
  }
  if (lines.length > 0 && report.oracle === undefined && report.mode === 'sim') lines.push('oracle: not run (it prices every attempt on demand, so it has no plan against reserved slots)');
  return lines;
}
