/**
 * Internal: a quality-keyed table (`{ standard: 0.04, hd: 0.08 }`, `{ low: 272, medium: 1056 }`,
 * or the `quality` multipliers), with the first listed quality as the default for requests
 * that name none. Not exported from the package.
 */

/** A quality-keyed table in the order written. */
export interface QualityTable {
  readonly values: ReadonlyMap<string, number>;
  /** Quality names in the order written; the first is the default. */
  readonly names: readonly string[];
  /** The first listed quality, or undefined for an empty table. */
  readonly first: string | undefined;
}

/**
 * Builds a quality table from a record, keeping the order the scenario wrote.
 * @param record - quality name to value
 * @returns the table
 */
export function qualityTable(record: Readonly<Record<string, number>>): QualityTable {
  const names = Object.keys(record);
  const values = new Map<string, number>();
  for (const name of names) values.set(name, record[name]!);
  return { values, names, first: names[0] };
}

/**
 * The value for a request's quality, the first listed quality when the request names none.
 * @param table - the table
 * @param quality - the request's quality, if any
 * @returns the value, or NaN when the table does not list the quality
 */
export function qualityValue(table: QualityTable, quality: string | undefined): number {
  const name = quality ?? table.first;
  if (name === undefined) return NaN;
  return table.values.get(name) ?? NaN;
}
