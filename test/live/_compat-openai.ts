// The scenario and helpers of the OpenAI-family compatibility suite (compat-*.test.ts): real,
// unmodified clients pointed at `imgsim serve` on 127.0.0.1 and at the msw handlers.
import { setupServer } from 'msw/node';
import { expect } from 'vitest';
import { createHandlers } from '../../src/live/msw.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';

/**
 * `gpt` pins gpt-image-1 (per token, OpenAI's table), `dalle3` and `dalle2` pin the dall-e
 * models (per image, OpenAI's list prices), `open` pins no model (the request's model decides;
 * standard/hd prices), `limited` allows one request a minute, `broken` always answers 500.
 */
export const COMPAT_SCENARIO = parseScenarioText(
  `
version: 1
name: compat-openai
seed: 1
providers:
  - id: gpt
    model: gpt-image-1
    pricing:
      model: per-token
      inputPerMillion: 5
      outputPerMillion: 40
      outputTokens:
        1024x1024: { medium: 1056, low: 272, high: 4160 }
        1536x1024: { medium: 1568, low: 400, high: 6208 }
      features: { inpainting: { add: 0.01 } }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
  - id: dalle3
    model: dall-e-3
    pricing:
      model: per-image
      price: 0.04
      sizes:
        1024x1024: { standard: 0.04, hd: 0.08 }
        1792x1024: { standard: 0.08, hd: 0.12 }
        1024x1792: { standard: 0.08, hd: 0.12 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
  - id: dalle2
    model: dall-e-2
    pricing:
      model: per-image
      price: 0.02
      sizes: { 256x256: 0.016, 512x512: 0.018, 1024x1024: 0.02 }
      features: { inpainting: { add: 0.005 } }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
  - id: open
    pricing: { model: per-image, price: 0.03, sizes: { 1024x1024: { standard: 0.03, hd: 0.06 } } }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
  - id: limited
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    rateLimit: { rpm: 1, burst: 1 }
  - id: broken
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    failures: { serverError: 1, errorLatency: { dist: fixed, value: 1ms } }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix:
    - { name: all, weight: 1, size: 1024x1024, steps: 30 }
`,
  'compat-openai.yaml',
);

/** Wall ms per simulated ms: 2 s latencies take 20 ms, `limited` refills one token per 600 ms. */
export const COMPAT_TIME_SCALE = 0.01;

/** Where the msw handlers answer. */
export const MSW_BASE = 'https://imgsim.test';

/** A journal entry as `GET /_imgsim/journal` returns it. */
export interface JournalEntry {
  id: string;
  time: string;
  provider: string;
  body: Record<string, unknown>;
  outcome: string;
  code: string | undefined;
  costUsd: number;
  status: number | null;
}

/**
 * @param base - serve's URL or the msw base URL
 * @returns the journal, oldest first
 */
export async function journal(base: string): Promise<JournalEntry[]> {
  const res = await fetch(`${base}/_imgsim/journal`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: JournalEntry[] }).entries;
}

/**
 * The journal entry of a request id.
 * @param base - serve's URL or the msw base URL
 * @param id - the `x-request-id` it was answered with
 * @returns the entry
 */
export async function entryOf(base: string, id: string | null): Promise<JournalEntry> {
  const entry = (await journal(base)).find((e) => e.id === id);
  expect(entry, `journal entry ${String(id)}`).toBeDefined();
  return entry!;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Asserts bytes are a PNG (its 8-byte signature and an IHDR chunk first).
 * @param bytes - the image
 */
export function expectPng(bytes: Uint8Array): void {
  const buf = Buffer.from(bytes);
  expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(buf.subarray(12, 16).toString('latin1')).toBe('IHDR');
}

/** A 1x1 PNG to upload as the image to edit (the mock reads its name, type and size). */
export const UPLOAD_PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/**
 * Prompt tokens as OpenAI's per-token pricing counts them here: ⌈chars / 4⌉.
 * @param prompt - the prompt
 * @returns tokens
 */
export function promptTokensOf(prompt: string): number {
  return Math.ceil(prompt.length / 4);
}

/** One way to reach the providers: a base URL, set up before the tests of its block. */
export interface Target {
  readonly name: string;
  base: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** @returns `imgsim serve` on 127.0.0.1, an ephemeral port */
export function serveTarget(): Target & { server?: LiveServer } {
  const t: Target & { server?: LiveServer } = {
    name: 'imgsim serve',
    base: '',
    async start() {
      t.server = await startServer(COMPAT_SCENARIO, { port: 0, timeScale: COMPAT_TIME_SCALE });
      t.base = t.server.url;
    },
    async stop() {
      await t.server?.close();
    },
  };
  return t;
}

/** @returns the msw handlers under {@link MSW_BASE} (data: URLs pass: the openai SDK probes `fetch('data:,')`) */
export function mswTarget(): Target {
  let msw: ReturnType<typeof setupServer> | undefined;
  return {
    name: 'msw handlers',
    base: MSW_BASE,
    async start() {
      msw = setupServer(...(await createHandlers(COMPAT_SCENARIO, { baseUrl: MSW_BASE, timeScale: COMPAT_TIME_SCALE })));
      // The SDK probes its Response class with `fetch('data:,')` before a multipart upload; let that through.
      msw.listen({
        onUnhandledRequest(request, print) {
          if (!request.url.startsWith('data:')) print.error();
        },
      });
    },
    stop() {
      msw?.close();
      return Promise.resolve();
    },
  };
}
