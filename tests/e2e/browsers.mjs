// The browsers the end-to-end tests run in, behind one small page interface,
// so that each scenario is written once and run in every engine:
// - chromium: Debian's /usr/bin/chromium driven by npm playwright-core (CDP);
// - firefox: Debian's /usr/bin/firefox-esr driven by npm puppeteer-core over
//   WebDriver BiDi (playwright-core can only drive its own patched Firefox).
// FRAMESEAL_E2E_ENGINES (comma-separated, default "chromium,firefox") picks
// the engines; CHROMIUM and FIREFOX override the executables.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The engines the tests support, in the order they run. */
export const ALL_ENGINES = ['chromium', 'firefox'];

/** The engines this run tests (FRAMESEAL_E2E_ENGINES, default all). */
export const ENGINES = (() => {
  const asked = (process.env.FRAMESEAL_E2E_ENGINES ?? ALL_ENGINES.join(','))
    .split(',').map((e) => e.trim()).filter(Boolean);
  for (const engine of asked) {
    assert.ok(ALL_ENGINES.includes(engine),
      `FRAMESEAL_E2E_ENGINES: unknown engine "${engine}" (known: ${ALL_ENGINES.join(', ')})`);
  }
  assert.ok(asked.length > 0, 'FRAMESEAL_E2E_ENGINES names no engine');
  return asked;
})();

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Both engines' default page size (Playwright's; Puppeteer's own is 800×600). */
const VIEWPORT = { width: 1280, height: 720 };
/** Default for waitForFunction: generous, CI machines are loaded. */
const WAIT_TIMEOUT_MS = 60_000;
/**
 * Default for every other wait (navigation, a click's wait for its element):
 * a page running the JS build keeps its main thread busy, and both drivers
 * check an element's visibility and stability from that thread.
 */
const ACTION_TIMEOUT_MS = 120_000;
const WAIT_POLLING_MS = 100;

/**
 * Starts headless `engine` ('chromium' or 'firefox'). Resolves to
 * `{ engine, newPage(options), close() }`; each page is a Page below, in a
 * fresh browser context of its own (no storage shared between pages).
 */
export async function launch(engine) {
  if (engine === 'chromium') {
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    return {
      engine,
      async newPage({ viewport = VIEWPORT, deviceScaleFactor = 1 } = {}) {
        const page = await browser.newPage({ viewport, deviceScaleFactor });
        page.setDefaultTimeout(ACTION_TIMEOUT_MS);
        return new Page(engine, new PlaywrightDriver(page));
      },
      close: () => browser.close(),
    };
  }
  if (engine === 'firefox') {
    const puppeteer = require('puppeteer-core');
    const browser = await puppeteer.launch({
      browser: 'firefox', executablePath: FIREFOX, headless: true, protocolTimeout: 180_000,
      // Firefox shows a JSON response in its own viewer, a privileged page
      // in which the tests' scripts would not run as the site's; Chromium
      // shows it as plain text, and so does Firefox with the viewer off.
      extraPrefsFirefox: { 'devtools.jsonview.enabled': false },
    });
    return {
      engine,
      async newPage({ viewport = VIEWPORT, deviceScaleFactor = 1 } = {}) {
        const context = await browser.createBrowserContext();
        const page = await context.newPage();
        await page.setViewport({ ...viewport, deviceScaleFactor });
        page.setDefaultTimeout(ACTION_TIMEOUT_MS);
        return new Page(engine, new PuppeteerDriver(page, context));
      },
      close: () => browser.close(),
    };
  }
  throw new Error(`unknown engine ${engine} (known: ${ALL_ENGINES.join(', ')})`);
}

/**
 * Launches `engine`, runs `body(browser)` and returns what it returns;
 * closes the browser whatever happened.
 */
export async function withBrowser(engine, body) {
  const browser = await launch(engine);
  try {
    return await body(browser);
  } finally {
    await browser.close();
  }
}

/**
 * A page in either engine: what the tests need and nothing more.
 * - on('console', ({ type, text }) => …): type as Playwright names it
 *   ('error', 'warning', 'log', …);
 * - on('pageerror', (message) => …): an uncaught error's message;
 * - on('request', (url) => …): every request the page's frame makes (not
 *   its workers': record those at the server).
 */
class Page {
  constructor(engine, driver) {
    this.engine = engine;
    this.driver = driver;
  }

  on(event, listener) {
    assert.ok(['console', 'pageerror', 'request'].includes(event), `no page event ${event}`);
    this.driver.on(event, listener);
  }

  /** Navigates and waits for the load event. */
  goto(url) { return this.driver.goto(url); }

  reload() { return this.driver.reload(); }

  /** Runs `fn(arg)` in the page; resolves to its (awaited, serialisable) result. */
  evaluate(fn, arg) { return this.driver.evaluate(fn, arg); }

  /**
   * Resolves once `fn(arg)` is truthy in the page, polling every
   * `polling` ms; rejects after `timeout` ms.
   */
  waitForFunction(fn, arg, { timeout = WAIT_TIMEOUT_MS, polling = WAIT_POLLING_MS } = {}) {
    return this.driver.waitForFunction(fn, arg, { timeout, polling });
  }

  /** Runs `fn()` in every document of the page before its own scripts. Call before goto. */
  addInitScript(fn) { return this.driver.addInitScript(fn); }

  /**
   * Answers the page's requests for which `matches(url)` (a URL) is true
   * with `await respond(url)`: `{ status = 200, headers = {}, contentType, body }`.
   * Call before goto.
   */
  route(matches, respond) { return this.driver.route(matches, respond); }

  /** Clicks the element `selector` (CSS) names, once it is visible. */
  click(selector) { return this.driver.click(selector); }

  /** Types `text` into the input `selector` names, replacing its value. */
  fill(selector, text) { return this.driver.fill(selector, text); }

  /** A PNG (Buffer) of `clip` ({ x, y, width, height }, CSS pixels) of the page. */
  async screenshot(clip) { return Buffer.from(await this.driver.screenshot(clip)); }

  title() { return this.evaluate(() => document.title); }

  /** The text of the first element `selector` names (null if none). */
  textContent(selector) {
    return this.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
  }

  close() { return this.driver.close(); }
}

/** Chromium: a Playwright page, in its own context (browser.newPage). */
class PlaywrightDriver {
  constructor(page) { this.page = page; }

  on(event, listener) {
    if (event === 'console') this.page.on('console', (m) => listener({ type: m.type(), text: m.text() }));
    if (event === 'pageerror') this.page.on('pageerror', (e) => listener(e.message));
    if (event === 'request') this.page.on('request', (r) => listener(r.url()));
  }

  goto(url) { return this.page.goto(url); }
  reload() { return this.page.reload(); }
  evaluate(fn, arg) { return this.page.evaluate(fn, arg); }

  async waitForFunction(fn, arg, { timeout, polling }) {
    await this.page.waitForFunction(fn, arg, { timeout, polling });
  }

  addInitScript(fn) { return this.page.addInitScript(fn); }

  route(matches, respond) {
    return this.page.route((url) => matches(url), async (route) => {
      const { status = 200, headers = {}, contentType, body } = await respond(new URL(route.request().url()));
      await route.fulfill({ status, headers, contentType, body });
    });
  }

  click(selector) { return this.page.locator(selector).click(); }
  fill(selector, text) { return this.page.locator(selector).fill(text); }
  screenshot(clip) { return this.page.screenshot({ clip }); }
  close() { return this.page.context().close(); }
}

/** Firefox: a Puppeteer page (WebDriver BiDi) in a browser context of its own. */
class PuppeteerDriver {
  constructor(page, context) {
    this.page = page;
    this.context = context;
    this.routes = null;
  }

  on(event, listener) {
    // Puppeteer calls it 'warn'; the tests use Playwright's 'warning'.
    if (event === 'console') {
      this.page.on('console', (m) => listener({ type: m.type() === 'warn' ? 'warning' : m.type(), text: m.text() }));
    }
    if (event === 'pageerror') this.page.on('pageerror', (e) => listener(e?.message ?? String(e)));
    if (event === 'request') this.page.on('request', (r) => listener(r.url()));
  }

  goto(url) { return this.page.goto(url); }
  reload() { return this.page.reload(); }
  evaluate(fn, arg) { return this.page.evaluate(fn, arg); }

  async waitForFunction(fn, arg, { timeout, polling }) {
    await this.page.waitForFunction(fn, { timeout, polling }, arg);
  }

  async addInitScript(fn) { await this.page.evaluateOnNewDocument(fn); }

  async route(matches, respond) {
    if (!this.routes) {
      // Interception holds every request until a handler answers it: one
      // handler answers all, from the routes in the order added.
      this.routes = [];
      await this.page.setRequestInterception(true);
      this.page.on('request', async (request) => {
        if (request.isInterceptResolutionHandled()) return;
        const url = new URL(request.url());
        const found = this.routes.find((r) => r.matches(url));
        if (!found) {
          await request.continue();
          return;
        }
        const { status = 200, headers = {}, contentType, body } = await found.respond(url);
        await request.respond({ status, headers, contentType, body });
      });
    }
    this.routes.push({ matches, respond });
  }

  click(selector) { return this.page.locator(selector).click(); }
  fill(selector, text) { return this.page.locator(selector).fill(text); }
  screenshot(clip) { return this.page.screenshot({ clip }); }
  close() { return this.context.close(); }
}
