/**
 * The types of `report.json` (docs/contract.md §5), inferred from the zod schema in
 * report-schema.ts: the one description of the report. Nothing is declared here.
 */
export type {
  BudgetAlert,
  CreditsReport,
  FeesReport,
  LatencySummary,
  OracleReport,
  ProviderReport,
  RegretReport,
  ReservedReport,
  Report,
  StrategyReport,
  ThresholdResult,
} from './report-schema.js';
