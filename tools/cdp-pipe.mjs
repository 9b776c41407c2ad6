// Headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe), for the soak run (tools/soak.mjs). Unlike
// playwright-core and puppeteer-core, which enable the Network domain on
// every page (the renderer then keeps a record, and the body, of every
// request it makes for DevTools: with hls.js fetching several parts a
// second, the browser's memory grows with the run), this enables only what
// is asked for: Runtime (page errors and console errors) and whatever the
// caller sends.
//
//   const browser = await launchPipe('/usr/bin/chromium', args);
//   const page = await browser.newPage({ width, height });
//   await page.goto(url);
//   await page.evaluate((x) => x + 1, 1);
//   await page.cdp.send('Performance.getMetrics');
//   await browser.close();
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The switches playwright-core 1.65 starts Chromium with on Linux (its
 * chromiumSwitches and headless ones), so that a run on this driver differs
 * from one on playwright-core only in the domains enabled.
 */
const PLAYWRIGHT_SWITCHES = [
  '--disable-field-trial-config', '--disable-background-networking', '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows', '--disable-back-forward-cache', '--disable-breakpad',
  '--disable-component-extensions-with-background-pages', '--disable-component-update', '--no-default-browser-check',
  '--disable-default-apps', '--disable-dev-shm-usage', '--disable-extensions',
  '--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,'
    + 'HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,'
    + 'AvoidCorsURLLoaderRestartOnRedirect,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch',
  '--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies',
  '--allow-pre-commit-input', '--disable-hang-monitor', '--disable-ipc-flooding-protection', '--disable-popup-blocking',
  '--disable-prompt-on-repost', '--disable-renderer-backgrounding', '--force-color-profile=srgb',
  '--metrics-recording-only', '--no-first-run', '--password-store=basic', '--use-mock-keychain',
  '--no-service-autorun', '--disable-search-engine-choice-screen', '--unsafely-disable-devtools-self-xss-warnings',
  '--enable-unsafe-swiftshader', '--disable-stack-profiler', '--disable-infobars', '--disable-sync',
  '--headless', '--hide-scrollbars', '--mute-audio',
  '--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4',
];

/** How long a protocol command may take before the run fails (heap snapshots of a busy page included). */
const COMMAND_TIMEOUT_MS = 300_000;
const POLL_MS = 100;

/** One protocol connection over Chromium's pipe: commands by id, events by session and method. */
class Connection {
  constructor(proc) {
    this.out = proc.stdio[3];
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.closed = null;
    let buffered = '';
    proc.stdio[4].setEncoding('utf8');
    proc.stdio[4].on('data', (chunk) => {
      const parts = (buffered + chunk).split('\0');
      buffered = parts.pop();
      for (const text of parts) this.dispatch(JSON.parse(text));
    });
    proc.on('exit', (code, signal) => this.fail(new Error(`chromium exited (${signal ?? code})`)));
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
      else call.resolve(message.result);
      return;
    }
    for (const fn of [...(this.listeners.get(`${message.sessionId ?? ''} ${message.method}`) ?? [])]) fn(message.params);
  }

  fail(error) {
    this.closed ??= error;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    this.pending.clear();
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${COMMAND_TIMEOUT_MS / 1000} s`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { method, resolve, reject, timer });
      this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  on(sessionId, method, fn) {
    const key = `${sessionId ?? ''} ${method}`;
    if (!this.listeners.has(key)) this.listeners.set(key, new Set());
    this.listeners.get(key).add(fn);
  }

  off(sessionId, method, fn) {
    this.listeners.get(`${sessionId ?? ''} ${method}`)?.delete(fn);
  }
}

/** A page's protocol session: send(method, params), on/off(event, fn). */
class Session {
  constructor(connection, sessionId) {
    this.connection = connection;
    this.sessionId = sessionId;
  }

  send(method, params = {}) { return this.connection.send(method, params, this.sessionId); }
  on(method, fn) { this.connection.on(this.sessionId, method, fn); }
  off(method, fn) { this.connection.off(this.sessionId, method, fn); }
}

/** A page: goto, evaluate and waitForFunction as the soak uses them, page errors and console errors as events. */
class Page {
  constructor(cdp) {
    this.cdp = cdp;
    this.handlers = { pageerror: [], console: [] };
    cdp.on('Runtime.exceptionThrown', ({ exceptionDetails: d }) => {
      const message = d.exception?.description?.split('\n')[0] ?? d.text;
      for (const fn of this.handlers.pageerror) fn(new Error(message));
    });
    cdp.on('Runtime.consoleAPICalled', ({ type, args }) => {
      const text = args.map((a) => a.value ?? a.description ?? a.type).join(' ');
      for (const fn of this.handlers.console) fn({ type: () => type, text: () => text });
    });
  }

  /** 'pageerror' (an Error) or 'console' (type(), text()), as Playwright's page.on. */
  on(event, fn) { this.handlers[event].push(fn); }

  /** Navigates and waits until the new document has loaded. */
  async goto(url) {
    const { errorText } = await this.cdp.send('Page.navigate', { url });
    if (errorText) throw new Error(`navigation to ${url}: ${errorText}`);
    await this.waitForFunction((u) => location.href === u && document.readyState === 'complete', url, { timeout: 60_000 });
  }

  /** `fn(arg)` in the page (arg as JSON); its (awaited) result by value. */
  async evaluate(fn, arg) {
    const expression = `(${fn})(${arg === undefined ? '' : JSON.stringify(arg)})`;
    const { result, exceptionDetails } = await this.cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(`evaluate: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** Polls `fn(arg)` until it is truthy (a navigation in between is no error); its value. */
  async waitForFunction(fn, arg, { timeout = 60_000 } = {}) {
    const until = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, arg).catch(() => undefined);
      if (value) return value;
      if (Date.now() > until) throw new Error(`waitForFunction: not true within ${timeout} ms: ${fn}`);
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    }
  }
}

/**
 * Starts `executable` headless with playwright-core's switches, `args` and
 * a protocol pipe, in a fresh profile. Resolves to { proc, newPage({ width, height }), close() }.
 */
export async function launchPipe(executable, args) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'frameseal-soak-'));
  const proc = spawn(executable, [
    ...PLAYWRIGHT_SWITCHES, '--remote-debugging-pipe', `--user-data-dir=${profile}`, ...args, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const connection = new Connection(proc);
  await connection.send('Browser.getVersion');
  return {
    proc,
    async newPage({ width, height }) {
      const { targetId } = await connection.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await connection.send('Target.attachToTarget', { targetId, flatten: true });
      const cdp = new Session(connection, sessionId);
      const page = new Page(cdp);
      await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      await cdp.send('Runtime.enable');
      return page;
    },
    async close() {
      const exited = new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) resolve();
        else proc.once('exit', resolve);
      });
      await connection.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
