/**
 * The imgsim library API: what docs/library.md documents. Everything else may change freely.
 */
export { ImgsimError, formatProblem, type ErrorCode, type Problem } from './scenario/errors.js';
export { loadScenario, parseScenarioText, scenarioFromObject } from './scenario/load.js';
export type { ResolvedScenario, ResolvedProvider } from './scenario/resolve.js';
export type { Scenario, ScenarioInput, OutcomeKind, Feature, Urgency, StrategyRef } from './scenario/schema.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export { quote, price, compilePricing } from './model/pricing/quote.js';
export type { Quote, PriceLine, PriceOptions, QuoteRequest } from './model/pricing/types.js';
export type { ImageRequest } from './model/request.js';
export { simulate, type SimulateOptions } from './sim/run.js';
export type {
  Report,
  StrategyReport,
  LatencySummary,
  ProviderReport,
  ThresholdResult,
  BudgetAlert,
  CreditsReport,
  OracleReport,
  RegretReport,
} from './metrics/report-types.js';
export type {
  Strategy,
  StrategyFactory,
  StrategyEnv,
  RouteDecision,
  RoutingContext,
  ProviderView,
  ProviderStats,
  AttemptOutcome,
  Candidate,
  BudgetView,
  BreakerState,
  AttemptPlan,
  PlanStep,
  RouteExplanation,
  CandidateExplanation,
  ExcludedProvider,
} from './routing/strategy.js';
export { defineStrategy } from './routing/strategy.js';
export { serializeReport } from './report/json.js';
export { forecast, type ForecastOptions } from './forecast/forecast.js';
export type { Forecast, StrategyForecast, ProviderForecast, CreditsForecast, BudgetForecast, SweepResult, StrategySweep, RegretForecast, OracleForecast } from './forecast/forecast-types.js';
export type { Spread } from './forecast/stats.js';
export { serializeForecast } from './forecast/json.js';
