/**
 * The `imgsim` command line: picks a command, runs it, maps errors to exit codes.
 * Commands are thin shells over the library; printing lives here, never in the library.
 */
import { readFileSync } from 'node:fs';
import { ImgsimError } from '../scenario/errors.js';
import { withInterruptCleanup } from './interrupt.js';
import { EXIT, reportError } from './output.js';

type Command = (argv: string[]) => number | Promise<number>;

// Each command's module is imported when it runs: `imgsim validate` need not load the
// simulator, autocannon or the HTTP server (startup time is paid by every invocation).
const COMMANDS: Readonly<Record<string, { load: () => Promise<Command>; summary: string }>> = {
  run: { load: async () => (await import('./run.js')).runCommand, summary: 'simulate every strategy of a scenario and write the reports' },
  compare: { load: async () => (await import('./compare.js')).compareCommand, summary: 'compare two report.json files metric by metric; exit 1 on a regression' },
  forecast: { load: async () => (await import('./forecast.js')).forecastCommand, summary: 'Monte Carlo forecast over seeds: cost spread, budget, credits, capacity, rate sweep' },
  merge: { load: async () => (await import('./merge.js')).mergeCommand, summary: 'merge the partial results of `forecast --shard k/n` into one forecast' },
  validate: { load: async () => (await import('./validate.js')).validateCommand, summary: 'check scenario files and print every problem' },
  schema: { load: async () => (await import('./schema.js')).schemaCommand, summary: 'print the scenario JSON Schema' },
  quote: { load: async () => (await import('./quote.js')).quoteCommand, summary: 'price one request at every provider, factor by factor' },
  explain: { load: async () => (await import('./explain.js')).explainCommand, summary: 'how each strategy would route one request at one moment, and why' },
  serve: { load: async () => (await import('./serve.js')).serveCommand, summary: 'serve the providers as live mock HTTP APIs (OpenAI-style)' },
  live: { load: async () => (await import('./live.js')).liveCommand, summary: 'run the traffic over real HTTP, open loop, against serve or a gateway' },
  load: { load: async () => (await import('./load.js')).loadCommand, summary: 'raw HTTP load (autocannon) against serve or a gateway, loopback only' },
  fit: { load: async () => (await import('./fit.js')).fitCommand, summary: 'fit providers (latency, errors, prices) to a log of attempts' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `imgsim — provider simulator and benchmarking harness for image-generation APIs

Usage: imgsim <command> [options]

Commands:
${lines.join('\n')}

Run \`imgsim <command> --help\` for a command's options. Exit codes: 0 ok, 1 a threshold or
comparison failed, 2 bad input or usage.`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs the CLI.
 * @param argv - arguments after the program name
 * @returns the process exit code
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${usage()}\n`);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      process.stdout.write(`${version()}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) throw new ImgsimError('invalid-argument', `unknown command "${name}"\n\n${usage()}`);
    const run = await command.load();
    // serve drains gracefully on a signal, with its own handlers.
    return name === 'serve' ? await run(rest) : await withInterruptCleanup(async () => run(rest));
  } catch (err) {
    return reportError(err);
  }
}
