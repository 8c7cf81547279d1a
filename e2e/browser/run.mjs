// run.mjs drives the dflix web app in the system Chromium, as an admin who
// uploads a clip and a viewer who subscribes, finds it and plays it.
//
//   BASE_URL=http://127.0.0.1:8080 ADMIN_EMAIL=... ADMIN_PASSWORD=... \
//   CLIP_PATH=/tmp/clip.mp4 SHOTS_DIR=screenshots node run.mjs
//
// CHROMIUM overrides /usr/bin/chromium. Exits 0 when every step passed and
// 1 with the failing step otherwise; e2e/browser_test.go runs it.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
};
const BASE_URL = env('BASE_URL').replace(/\/$/, '');
const ADMIN_EMAIL = env('ADMIN_EMAIL');
const ADMIN_PASSWORD = env('ADMIN_PASSWORD');
const CLIP_PATH = env('CLIP_PATH');
const SHOTS_DIR = env('SHOTS_DIR', 'screenshots');
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');

const started = Date.now();
const timings = [];
const stamp = Date.now();
const title = `Browser Clip ${stamp}`;
let step = 'launch';

const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

// run names a step, logs it and records how long it took.
async function run(name, fn) {
  step = name;
  log(`step: ${name}`);
  const t0 = Date.now();
  await fn();
  const ms = Date.now() - t0;
  timings.push([name, ms]);
  log(`ok: ${name} (${(ms / 1000).toFixed(1)}s)`);
}

// until polls check every 250 ms until it returns a truthy value, and
// fails with what() after timeout ms.
async function until(what, timeout, check) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${await what()}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const text = async (loc) => ((await loc.count()) ? ((await loc.first().textContent()) ?? '').trim() : '<absent>');

// scoped is the element with test id inside container when it has one,
// else the page's (a dialog, say).
async function scoped(page, container, id) {
  const inner = container.getByTestId(id);
  return (await inner.count()) ? inner.first() : page.getByTestId(id).first();
}

// fillField fills an input, or picks the option of a select.
async function fillField(loc, value) {
  const tag = await loc.evaluate((el) => el.tagName.toLowerCase());
  if (tag === 'select') await loc.selectOption(value);
  else await loc.fill(value);
}

// shot saves a screenshot of a page the flow reached, which must show no
// error message (each page's queries within the API's limits, for one).
async function shot(page, name) {
  const path = join(SHOTS_DIR, name);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
  if (name !== 'failure.png') {
    const errors = page.getByTestId('error');
    assert.equal(await errors.count(), 0, `${name}: the page shows an error: ${await text(errors)}`);
  }
}

async function signIn(page, email, password) {
  await page.getByTestId('nav-signin').click();
  await page.getByTestId('auth-email').fill(email);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('nav-signout').waitFor({ timeout: 15000 });
}

async function admin(page) {
  let row;
  await run('admin: sign in', () => signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD));
  await run('admin: create video', async () => {
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-tab-videos').click();
    await page.getByTestId('new-video-title').fill(title);
    await fillField(page.getByTestId('new-video-year'), '2024');
    // The catalog's duration, not the 3 s clip's: played to its end, the clip
    // is 5% of it, so it stays under "continue watching" however far it got.
    await fillField(page.getByTestId('new-video-duration'), '60');
    await fillField(page.getByTestId('new-video-rating'), 'PG');
    await page.getByTestId('new-video-submit').click();
    row = page.locator(`[data-testid="admin-video-row"][data-title="${title}"]`);
    await row.waitFor({ timeout: 15000 });
  });
  await run('admin: publish', async () => {
    await (await scoped(page, row, 'publish-toggle')).click();
  });
  await run('admin: upload clip', async () => {
    await (await scoped(page, row, 'upload-open')).click();
    await (await scoped(page, row, 'upload-file')).setInputFiles(CLIP_PATH);
    await (await scoped(page, row, 'upload-start')).click();
    const progress = await scoped(page, row, 'upload-progress');
    await until(async () => `upload-progress at 100% (now "${await text(progress)}")`, 60000, async () => {
      const state = await progress.evaluate((el) => ({
        text: el.textContent ?? '',
        value: el.getAttribute('value') ?? el.getAttribute('aria-valuenow'),
        max: el.getAttribute('max') ?? el.getAttribute('aria-valuemax') ?? '100',
      }));
      return state.text.includes('100%') || (state.value !== null && Number(state.value) >= Number(state.max));
    });
  });
  await run('admin: encoding READY', async () => {
    const status = await scoped(page, row, 'encoding-status');
    await until(async () => `encoding-status READY (now "${await text(status)}")`, 120000, async () => {
      const s = await text(status);
      if (/fail|error/i.test(s)) throw new Error(`encoding-status says "${s}"`);
      return s.includes('READY');
    });
    await shot(page, 'admin.png');
  });
  await run('admin: add and delete a genre', async () => {
    await page.getByTestId('admin-tab-taxonomy').click();
    const genre = `Genre ${stamp}`;
    await fillField(page.getByTestId('new-genre-name'), genre);
    await page.getByTestId('new-genre-submit').click();
    const row = page.locator(`[data-testid="genre-row"][data-name="${genre}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Delete genre ${genre}` }).click();
    await row.waitFor({ state: 'detached' });
  });
  await run('admin: every tab', async () => {
    for (const tab of ['taxonomy', 'plans', 'users', 'deadletters']) {
      await page.getByTestId(`admin-tab-${tab}`).click();
      await page.waitForLoadState('networkidle');
      await shot(page, `admin-${tab}.png`);
    }
  });
  await run('admin: sign out', async () => {
    await page.getByTestId('nav-signout').click();
    await page.getByTestId('nav-signin').waitFor({ timeout: 15000 });
  });
}

async function viewer(page) {
  await run('viewer: sign up', async () => {
    await page.getByTestId('nav-signin').click();
    await page.getByTestId('auth-toggle').click();
    await page.getByTestId('auth-name').fill('Browser Viewer');
    await page.getByTestId('auth-email').fill(`viewer-${stamp}@dflix.test`);
    await page.getByTestId('auth-password').fill('viewer-password-123');
    await page.getByTestId('auth-submit').click();
    await page.getByTestId('nav-signout').waitFor({ timeout: 15000 });
  });
  await run('viewer: subscribe to Standard', async () => {
    await page.getByTestId('nav-plans').click();
    const card = page.locator('[data-testid="plan-card"][data-plan-name="Standard"]');
    await card.waitFor({ timeout: 15000 });
    await card.getByTestId('plan-choose').click();
    await page.getByTestId('card-number').fill('4242424242424242');
    await fillField(page.getByTestId('card-exp-month'), '12');
    await fillField(page.getByTestId('card-exp-year'), '2035');
    await page.getByTestId('card-cvc').fill('123');
    await page.getByTestId('subscribe-submit').click();
    const status = page.getByTestId('my-subscription-status');
    await until(async () => `my-subscription-status TRIALING or ACTIVE (now "${await text(status)}")`, 30000, async () =>
      /TRIALING|ACTIVE/.test(await text(status)),
    );
    await shot(page, 'plans.png');
  });
}

// watch finds the clip, opens it and plays it; it returns the video's id.
async function watch(page) {
  let videoId;
  await run('search', async () => {
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-input').fill('Browser Clip');
    const card = page.getByTestId('search-results').getByTestId('video-card').filter({ hasText: title });
    await card.first().waitFor({ timeout: 20000 });
    videoId = await card.first().getAttribute('data-video-id');
    assert.ok(videoId, 'the video-card has no data-video-id');
    await shot(page, 'search.png');
    await card.first().click();
  });
  await run('details', async () => {
    await page.getByTestId('video-title').waitFor({ timeout: 15000 });
    assert.match(await text(page.getByTestId('video-title')), new RegExp(title));
    await shot(page, 'details.png');
  });
  await run('play', async () => {
    await page.getByTestId('play-button').click();
    const video = page.locator('video[data-testid="player"]');
    await video.waitFor({ timeout: 15000 });
    // Record the video's error events and every player-status text, in
    // the page, from now on.
    await video.evaluate((el) => {
      window.__dflixVideoErrors = [];
      window.__dflixStatuses = new Set();
      el.addEventListener('error', () => window.__dflixVideoErrors.push(el.error ? `${el.error.code} ${el.error.message}` : 'error'));
      const record = () => {
        const s = document.querySelector('[data-testid="player-status"]');
        if (s) window.__dflixStatuses.add((s.textContent ?? '').trim());
      };
      record();
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    try {
      await page.waitForFunction(
        () => {
          if (window.__dflixVideoErrors.length) throw new Error(`the video fired error: ${window.__dflixVideoErrors.join('; ')}`);
          return document.querySelector('video[data-testid="player"]')?.currentTime > 2;
        },
        null,
        { timeout: 60000, polling: 250 },
      );
    } catch (err) {
      const now = await video.evaluate((el) => `currentTime ${el.currentTime}, readyState ${el.readyState}, networkState ${el.networkState}`).catch(() => '?');
      throw new Error(`player did not reach currentTime > 2 (${now}, player-status "${await text(page.getByTestId('player-status'))}"): ${err.message}`);
    } finally {
      await shot(page, 'player.png');
    }
    const errors = await page.evaluate(() => window.__dflixVideoErrors);
    assert.deepEqual(errors, [], 'error events on the video');
    const statuses = await page.evaluate(() => [...window.__dflixStatuses]);
    for (const s of statuses) assert.ok(!/error/i.test(s), `player-status said "${s}"`);
    const reached = await video.evaluate((el) => el.currentTime);
    log(`played to currentTime ${reached.toFixed(2)}s (player-status seen: ${statuses.join(' | ') || 'none'})`);
  });
  return videoId;
}

async function home(page, videoId) {
  await run('home: continue watching', async () => {
    await page.getByTestId('nav-home').click();
    await page.reload();
    const card = page.locator(`[data-testid="row-continue"] [data-testid="video-card"][data-video-id="${videoId}"]`);
    await card.waitFor({ timeout: 30000 });
    await page.locator('[data-testid="video-card"]').nth(1).waitFor({ timeout: 15000 }); // the category rows too
    assert.equal(await page.getByTestId('error').count(), 0, `the home page shows an error: ${await text(page.getByTestId('error'))}`);
    await shot(page, 'home.png');
  });
}

// phone checks the home page at a phone's width (no sideways scrolling)
// and that the keyboard reaches the navigation: Tab from the top focuses a
// link, and Enter on the Search link opens the search page.
async function phone(page) {
  await run('phone width and keyboard', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.getByTestId('nav-home').click();
    await page.getByTestId('row-continue').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 375px`);
    await shot(page, 'home-phone.png');
    await page.locator('body').focus();
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      if (id === 'nav-search') break;
    }
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    assert.equal(focused, 'nav-search', 'Tab reaches the Search link');
    await page.keyboard.press('Enter');
    await page.getByTestId('search-input').waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
  });
}

async function main() {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && log(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => log(`page error: ${err.message}`));
    page.on('requestfailed', (r) => log(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await run('open app', async () => {
      const res = await page.goto(BASE_URL + '/');
      assert.equal(res?.status(), 200, 'GET /');
    });
    await admin(page);
    await viewer(page);
    const videoId = await watch(page);
    await home(page, videoId);
    await phone(page);
  } catch (err) {
    if (page) await shot(page, 'failure.png').catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
}

try {
  await main();
  log('timings:');
  for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)}s  ${name}`);
  log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)}s`);
} catch (err) {
  console.error(`FAIL at step "${step}": ${err.stack ?? err}`);
  for (const [name, ms] of timings) console.error(`  ok ${(ms / 1000).toFixed(1).padStart(6)}s  ${name}`);
  process.exit(1);
}
