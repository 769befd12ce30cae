/**
 * Warnings about a valid scenario: things that run, but likely not as meant. `imgsim validate`
 * and `imgsim run` print them on stderr; they never fail a command.
 */
import type { ResolvedScenario } from './resolve.js';

/**
 * Traffic asks for validation, some providers price none (`pricing.validation`) and no validator
 * is defined: validation at those providers costs nothing, which understates what an unbundled
 * pipeline pays (docs/scenario-reference.md "pipeline").
 * @param s - the resolved scenario
 * @returns one sentence per request class asking for validation, empty when none applies
 */
export function validationWarnings(s: ResolvedScenario): string[] {
  if (s.pipeline !== undefined || s.traffic.kind !== 'synthetic') return [];
  return s.traffic.mix.flatMap((m, i) => {
    if (!m.validate || m.weight === 0) return [];
    // Only providers that can serve the class: one without its features never sees it.
    const free = s.providers
      .filter((p) => p.pricing.validation === undefined && m.features.every((f) => p.supports.features.includes(f)))
      .map((p) => p.id);
    if (free.length === 0) return [];
    const at = free.length === 1 ? free[0]! : `${free.slice(0, -1).join(', ')} and ${free.at(-1)!}`;
    return [`traffic.mix[${i}].validate: class "${m.name}" asks for validation, which is free at ${at} (no \`pricing.validation\`): define a validator under \`validators\` to price it as a separate call`];
  });
}
