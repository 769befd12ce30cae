// Scenario text for the live-mode tests: providers with a per-image price and one fixed-latency
// tier, and the one-class traffic that live tests never read (the clients are the tests).

/** A provider of a test scenario. */
export interface TestProvider {
  readonly id: string;
  /** Per-image price, USD. */
  readonly price: number;
  /** The standard tier's fixed latency, e.g. `1s`. */
  readonly latency: string;
  /** More keys of the provider, e.g. `failures: { timeout: 1 }`. */
  readonly more?: readonly string[];
}

/**
 * @param name - the scenario's name
 * @param providers - its providers, in order
 * @returns the scenario as YAML text
 */
export function liveScenario(name: string, providers: readonly TestProvider[]): string {
  const lines = ['version: 1', `name: ${name}`, 'seed: 1', 'providers:'];
  for (const p of providers) {
    lines.push(
      `  - id: ${p.id}`,
      `    pricing: { model: per-image, price: ${p.price} }`,
      '    tiers:',
      `      standard: { latency: { dist: fixed, value: ${p.latency} } }`,
      ...(p.more ?? []).map((line) => `    ${line}`),
    );
  }
  lines.push('traffic:', '  arrivals: { process: poisson, rate: 1/s }', '  mix:', '    - { name: all, weight: 1, size: 1024x1024, steps: 30 }');
  return `${lines.join('\n')}\n`;
}
