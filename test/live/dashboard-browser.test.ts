// The live dashboard in a real browser (issue 15, defect 5): a project name is client data, and
// the page once put it into innerHTML, so a request with project
// `<img src=x onerror=fetch('/_imgsim/reset',{method:'POST'})>` zeroed the ledger as soon as
// someone opened the dashboard. The page must show such a name as text and run none of it.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { launchChromium } from '../_chromium.js';
import { liveScenario } from './_live-scenario.js';

const HOSTILE = `<img src=x onerror=fetch('/_imgsim/reset',{method:'POST'})>`;
/** Sent in the body's `project`, the other way in. */
const HOSTILE_BODY = '<img src=y onerror=alert(1)><script>alert(2)</script>';
const KEYED = `${liveScenario('dash-keyed', [{ id: 'lumen', price: 0.04, latency: '10ms' }])}auth: { keys: [provider-key] }\n`;

let browser: Browser | undefined;
let server: LiveServer;

beforeAll(async () => {
  server = await startServer(parseScenarioText(liveScenario('dash-browser', [{ id: 'lumen', price: 0.04, latency: '10ms' }])), { timeScale: 0.01 });
  // Without a Chromium this throws, naming where it looked: a failure, never a skip.
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server.close();
});

async function generate(url: string, key: string, headers: Record<string, string>, body: Record<string, unknown> = {}): Promise<void> {
  const res = await fetch(`${url}/lumen/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024', response_format: 'b64_json', ...body }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

describe('the live dashboard in Chromium', () => {
  it('shows hostile project names as text, runs none of them, and leaves the ledger alone', async () => {
    await generate(server.url, 'k', { 'x-imgsim-project': HOSTILE });
    await generate(server.url, 'k', {}, { project: HOSTILE_BODY });
    const before = server.providers.ledgerSnapshot().totals;
    expect(before.requests).toBe(2);

    const page = await browser!.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    const response = await page.goto(`${server.url}/_imgsim/`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');

    const cells = page.locator('#projects tbody td:first-child');
    await expect.poll(async () => (await cells.allTextContents()).sort(), { timeout: 5_000 }).toEqual([HOSTILE, HOSTILE_BODY].sort());
    // Two more refreshes (one a second) with the names on the page.
    await page.waitForTimeout(2_100);
    // The names are text: no element came out of them.
    expect(await page.locator('#projects img, #projects script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(requests.filter((r) => !/^GET \/_imgsim\/(metrics|ledger)?$/.test(r))).toEqual([]);
    expect(server.providers.ledgerSnapshot().totals).toEqual(before);
    await page.close();
  }, 30_000);

  it('reads its data with the admin key given in its address when the scenario sets auth.keys', async () => {
    const keyed = await startServer(parseScenarioText(KEYED), { timeScale: 0.01, adminKey: 'admin-secret' });
    try {
      await generate(keyed.url, 'provider-key', { 'x-imgsim-project': 'app' });
      const page = await browser!.newPage();
      await page.goto(`${keyed.url}/_imgsim/?key=admin-secret`);
      await expect.poll(async () => page.locator('#projects tbody td:first-child').allTextContents(), { timeout: 5_000 }).toEqual(['app']);
      await expect.poll(async () => page.locator('#status').textContent(), { timeout: 5_000 }).toMatch(/^updated /);
      await page.close();
    } finally {
      await keyed.close();
    }
  }, 30_000);
});
