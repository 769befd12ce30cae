/**
 * `imgsim validate <scenario>...`: checks every file and prints every problem.
 */
import { checkGatewayConfigs } from '../routing/strategy-refs.js';
import { loadScenario } from '../scenario/load.js';
import { validationWarnings } from '../scenario/warnings.js';
import { ImgsimError } from '../scenario/errors.js';
import { parseCommandArgs } from './args.js';
import { EXIT, reportError } from './output.js';

/** Usage text. */
export const VALIDATE_USAGE = `Usage: imgsim validate <scenario.yaml>... [--quiet]

Checks each scenario against the format (docs/scenario-reference.md), and the gateway configs its
litellm and portkey strategies name, and prints every problem as file:line:col key.path: message.
Portkey features the open-source gateway rejects or ignores (virtual_key, cb_config, ...) are
printed as warnings on stderr; they do not fail validation. So is traffic asking for validation
where a provider prices none and no validator is defined (validation would be free there).
Exit code 0 when all are valid, 2 otherwise.`;

/**
 * Runs the command.
 * @param argv - arguments after `validate`
 * @returns the exit code
 */
export function validateCommand(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('validate', argv, {});
  if (values.help) {
    process.stdout.write(`${VALIDATE_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new ImgsimError('invalid-argument', `validate: name at least one scenario file\n${VALIDATE_USAGE}`);
  let code: number = EXIT.ok;
  for (const file of positionals) {
    try {
      const s = loadScenario(file);
      // Warnings (hosted-only gateway features) do not fail validation.
      for (const w of checkGatewayConfigs(s)) process.stderr.write(`warning: ${w}\n`);
      for (const w of validationWarnings(s)) process.stderr.write(`warning: ${file}: ${w}\n`);
      if (!values.quiet) {
        process.stdout.write(`${file}: ok (${s.providers.length} providers, ${s.strategies.length} strategies)\n`);
      }
    } catch (err) {
      code = reportError(err);
    }
  }
  return code;
}
