// The demo window driven like a person would: Debian's chromium through playwright-core.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemoApi, type DemoApi } from '../../examples/demo-api/demo-api.ts';
import { startDesktopHost } from '../../examples/desktop-host/server.ts';
import { ROOT } from '../helpers/spawn.ts';
import { sidecarFor } from '../helpers/example-job.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'test-output/desktop-host');

describe(
  'the demo window',
  { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: .ci/run installs Debian's chromium` },
  () => {
    let browser: Browser;
    let api: DemoApi;
    let host: Awaited<ReturnType<typeof startDesktopHost>>;
    let page: Page;

    before(async () => {
      await mkdir(SHOTS, { recursive: true });
      api = await startDemoApi({ records: 1500, delayMs: 25 });
      const dbPath = path.join(await mkdtemp(path.join(tmpdir(), 'ferry-window-')), 'window.db');
      host = await startDesktopHost({ sidecar: await sidecarFor('rest-import'), apiUrl: api.url, dbPath });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      page = await browser.newPage({ viewport: { width: 640, height: 520 } });
      await page.goto(host.url);
    });

    after(async () => {
      await browser?.close();
      await host?.close();
      await api?.close();
    });

    type Progress = { hasAttribute(name: string): boolean; value: number; max: number };
    const progressValue = () =>
      page.locator('#progress').evaluate((p: Progress) => (p.hasAttribute('value') ? p.value / p.max : -1));

    it('Import: the progress bar advances, then the result shows counts and duration', async () => {
      await page.locator('#health', { hasText: 'never ran' }).waitFor({ timeout: 10_000 });
      await page.click('#import');
      // Page code, as a string: it runs in the browser.
      await page.waitForFunction(
        "(p => p.hasAttribute('value') && p.value > 0 && p.value < p.max)(document.querySelector('progress'))",
        undefined,
        { timeout: 20_000 },
      );
      const midway = await progressValue();
      await page.screenshot({ path: path.join(SHOTS, '1-importing.png') });
      await page.locator('#status.succeeded').waitFor({ timeout: 30_000 });
      assert.ok(midway > 0 && midway < 1, `the bar was part-way (${midway})`);
      assert.equal(await progressValue(), 1);
      assert.equal(await page.locator('#c-inserted').innerText(), '1500');
      assert.match(await page.locator('#c-duration').innerText(), /^\d+\.\d\d s$/);
      await page.locator('#health[data-ok="true"]').waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SHOTS, '2-imported.png') });
    });

    it('Cancel mid-run: the run ends cancelled', async () => {
      api.add(4000); // enough new records for the incremental run to take a while
      await page.click('#import');
      await page.locator('#cancel:not([disabled])').waitFor();
      await page.locator('#detail', { hasText: ' of ' }).waitFor({ timeout: 20_000 });
      await page.click('#cancel');
      await page.locator('#status.cancelled').waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('#retry').isVisible(), false, 'no retry offered for a cancel');
      await page.screenshot({ path: path.join(SHOTS, '3-cancelled.png') });
    });

    it('A failing API: failed with Retry offered; Retry after it heals succeeds', async () => {
      api.failNext(1000);
      await page.click('#import');
      await page.locator('#status.failed').waitFor({ timeout: 30_000 });
      assert.match(await page.locator('#detail').innerText(), /503/);
      await page.locator('#retry').waitFor({ state: 'visible' });
      await page.locator('#health', { hasText: 'last run failed' }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SHOTS, '4-failed.png') });
      api.failNext(0);
      await page.click('#retry');
      await page.locator('#status.succeeded').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#retry').isVisible(), false);
      await page.screenshot({ path: path.join(SHOTS, '5-retried.png') });
    });
  },
);
