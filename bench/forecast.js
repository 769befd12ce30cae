// npm run bench:forecast: the Monte Carlo forecast at scale. bench/forecast.yaml is 30 days at
// 1 request a second (about 2.6 million requests a run, failover over three providers); 100 runs
// are about 260 million simulated requests, on worker threads as `imgsim forecast` runs them.
// Target: under 5 minutes on a 2-core machine, under 300 MB per worker thread.
//
//   node bench/forecast.js [--runs 100] [--threads N] [--horizon 30d] [--max-old-mb 300] [--oracle]
//
// The target counts the strategy simulation (the 260 million requests), so the hindsight oracle
// is off unless --oracle is given: it is one more pass over each run's traffic, about as long as
// one strategy's (a forecast of a one-strategy scenario takes about twice as long with it).
//
// Prints wall time, CPU time of the whole process (every thread), simulated requests per second,
// each worker thread's peak V8 heap (committed heap plus external memory, sampled as runs
// progress) and the process's peak RSS (main thread and every worker together). With fewer runs
// it also extrapolates to 100. Numbers vary with machine load: on a shared machine compare CPU
// time, and run on a quiet one for the wall-clock figure.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenario } from '../dist/index.js';
import { forecastParameters } from '../dist/forecast/parameters.js';
import { simulateRuns } from '../dist/forecast/monte-carlo.js';
import { aggregateForecast } from '../dist/forecast/aggregate.js';
import { createWorkerPool } from '../dist/forecast/workers.js';
import { parseDurationMs } from '../dist/scenario/units.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    threads: { type: 'string', default: String(availableParallelism()) },
    horizon: { type: 'string', default: '30d' },
    'max-old-mb': { type: 'string' },
    oracle: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const threads = Number(values.threads);
const scenario = loadScenario(fileURLToPath(new URL('./forecast.yaml', import.meta.url)));
const params = forecastParameters(scenario, { seed: scenario.seed, runs, horizonMs: parseDurationMs(values.horizon), oracle: values.oracle });
const pool = createWorkerPool(scenario, {
  threads,
  ...(values['max-old-mb'] === undefined ? {} : { maxOldGenerationSizeMb: Number(values['max-old-mb']) }),
});

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let summaries;
try {
  let shown = -1;
  summaries = await simulateRuns(params, pool, {
    onProgress: (f) => {
      const pct = Math.floor(f * 20) * 5;
      if (pct > shown && process.stderr.isTTY) process.stderr.write(`\r  ${pct}%`);
      shown = Math.max(shown, pct);
    },
  });
} finally {
  await pool.close();
}
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
const forecast = aggregateForecast(params, summaries);
const requests = summaries.reduce((sum, r) => sum + r.strategies.reduce((s, x) => s + x.requests, 0), 0);
const stats = pool.stats();
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`forecast bench: ${runs} runs of ${values.horizon} at 1/s (${params.strategies.join(', ')}) on ${threads} worker threads, hindsight oracle ${values.oracle ? 'on' : 'off (--oracle to include it)'}`);
console.log(`  ${fmt(requests)} simulated requests in ${wallS.toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU (all threads)`);
console.log(`  ${fmt(requests / wallS)} requests/s wall, ${fmt(requests / cpuS)} requests per CPU-second`);
console.log(`  peak heap per worker thread: ${stats.map((s) => `${s.peakHeapMb.toFixed(0)} MB (${s.runs} runs)`).join(', ')}`);
console.log(`  process peak RSS (main thread and all workers): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
if (runs !== 100) {
  console.log(`  extrapolated to 100 runs: ${((wallS * 100) / runs).toFixed(0)} s wall, ${((cpuS * 100) / runs).toFixed(0)} s CPU (${((cpuS * 100) / runs / threads).toFixed(0)} s per thread)`);
}
console.log(`  cost P50 $${forecast.strategies[0].cost.p50.toFixed(2)}, P90 $${forecast.strategies[0].cost.p90.toFixed(2)} (a check that the runs did run)`);
