/**
 * The Chromium that browser tests drive, found with npm alone: `IMGSIM_CHROMIUM` when set, else
 * the build shipped inside the `@sparticuz/chromium` devDependency (Linux x64; unpacked to the
 * temp folder on first use), else a system Chromium (`/usr/bin/chromium`, Debian's package).
 * No apt step and no browser download: `npm install && npm test` is the whole set-up.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a headless, sandbox-free Chromium on a machine with no network but loopback. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** A system Chromium, tried when the npm build cannot run here. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Where a Chromium was found, and how. */
export interface ChromiumBinary {
  readonly path: string;
  readonly source: 'IMGSIM_CHROMIUM' | '@sparticuz/chromium' | 'system';
}

let found: Promise<ChromiumBinary> | undefined;

/**
 * Finds a Chromium binary (once per process).
 * @returns its path and where it came from
 * @throws Error naming every place looked at, when none has one
 */
export function findChromium(): Promise<ChromiumBinary> {
  found ??= (async () => {
    const fromEnv = process.env.IMGSIM_CHROMIUM;
    if (fromEnv !== undefined && fromEnv !== '') {
      if (!existsSync(fromEnv)) throw new Error(`IMGSIM_CHROMIUM=${fromEnv}: no such file`);
      return { path: fromEnv, source: 'IMGSIM_CHROMIUM' };
    }
    let npmProblem = '';
    if (process.platform === 'linux' && process.arch === 'x64') {
      try {
        const { default: packaged } = await import('@sparticuz/chromium');
        return { path: await packaged.executablePath(), source: '@sparticuz/chromium' };
      } catch (error) {
        npmProblem = `@sparticuz/chromium: ${error instanceof Error ? error.message : String(error)}; `;
      }
    } else {
      npmProblem = `@sparticuz/chromium ships Linux x64 only (this is ${process.platform} ${process.arch}); `;
    }
    if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: 'system' };
    throw new Error(`no Chromium: ${npmProblem}none at ${SYSTEM_CHROMIUM}. Run \`npm install\` (it brings @sparticuz/chromium), or point IMGSIM_CHROMIUM at a Chromium binary.`);
  })();
  return found;
}

/**
 * Launches headless Chromium through playwright-core.
 * @returns the browser; close it in `afterAll`
 */
export async function launchChromium(): Promise<Browser> {
  const binary = await findChromium();
  return chromium.launch({ executablePath: binary.path, args: CHROMIUM_ARGS });
}
