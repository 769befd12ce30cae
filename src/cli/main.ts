/**
 * The `imgsim` command line: picks a command, runs it, maps errors to exit codes.
 * Commands are thin shells over the library; printing lives here, never in the library.
 */
import { readFileSync } from 'node:fs';
import { ImgsimError } from '../scenario/errors.js';
import { compareCommand } from './compare.js';
import { explainCommand } from './explain.js';
import { fitCommand } from './fit.js';
import { forecastCommand } from './forecast.js';
import { liveCommand } from './live.js';
import { loadCommand } from './load.js';
import { mergeCommand } from './merge.js';
import { EXIT, reportError } from './output.js';
import { quoteCommand } from './quote.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

type Command = (argv: string[]) => number | Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  run: { run: runCommand, summary: 'simulate every strategy of a scenario and write the reports' },
  compare: { run: compareCommand, summary: 'compare two report.json files metric by metric; exit 1 on a regression' },
  forecast: { run: forecastCommand, summary: 'Monte Carlo forecast over seeds: cost spread, budget, credits, capacity, rate sweep' },
  merge: { run: mergeCommand, summary: 'merge the partial results of `forecast --shard k/n` into one forecast' },
  validate: { run: validateCommand, summary: 'check scenario files and print every problem' },
  schema: { run: schemaCommand, summary: 'print the scenario JSON Schema' },
  quote: { run: quoteCommand, summary: 'price one request at every provider, factor by factor' },
  explain: { run: explainCommand, summary: 'how each strategy would route one request at one moment, and why' },
  serve: { run: serveCommand, summary: 'serve the providers as live mock HTTP APIs (OpenAI-style)' },
  live: { run: liveCommand, summary: 'run the traffic over real HTTP, open loop, against serve or a gateway' },
  load: { run: loadCommand, summary: 'raw HTTP load (autocannon) against serve or a gateway, loopback only' },
  fit: { run: fitCommand, summary: 'fit providers (latency, errors, prices) to a log of attempts' },
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
    return await command.run(rest);
  } catch (err) {
    return reportError(err);
  }
}
