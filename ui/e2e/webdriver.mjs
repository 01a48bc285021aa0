// A small W3C WebDriver client for the end-to-end journeys (tauri-driver in front of
// WebKitWebDriver), and what every journey shares: waiting, steps with a screenshot and the
// screen's text on failure, and the accessibility check with axe-core.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriver {
  constructor(url) {
    this.url = url;
  }

  async call(method, path, body, timeoutMs = 90000) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A command that hangs fails its step instead of the whole run.
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }
}

/** One session with the app: the window's DOM through CSS selectors. */
export class Session {
  constructor(driver, id, shots) {
    this.driver = driver;
    this.id = id;
    this.base = `/session/${id}`;
    this.shots = shots;
  }

  static async start(driver, app, shots) {
    const value = await driver.call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
    });
    return new Session(driver, value.sessionId, shots);
  }

  call(method, path, body, timeoutMs) {
    return this.driver.call(method, `${this.base}${path}`, body, timeoutMs);
  }

  async $(css) {
    const ref = await this.call("POST", "/element", { using: "css selector", value: css });
    const id = ref?.[ELEMENT] ?? ref?.ELEMENT;
    if (!id) throw new Error(`no element id for ${css}: ${JSON.stringify(ref)}`);
    return id;
  }

  async all(css) {
    return this.call("POST", "/elements", { using: "css selector", value: css });
  }

  async count(css) {
    return (await this.all(css)).length;
  }

  async exists(css) {
    return (await this.count(css)) > 0;
  }

  async type(css, text) {
    const el = await this.$(css);
    await this.call("POST", `/element/${el}/clear`, {});
    if (text !== "") await this.call("POST", `/element/${el}/value`, { text });
  }

  async click(css) {
    await this.call("POST", `/element/${await this.$(css)}/click`, {});
  }

  async text(css) {
    return this.call("GET", `/element/${await this.$(css)}/text`);
  }

  async prop(css, name) {
    return this.call("GET", `/element/${await this.$(css)}/property/${name}`);
  }

  async attr(css, name) {
    return this.call("GET", `/element/${await this.$(css)}/attribute/${name}`);
  }

  async script(source, ...args) {
    return this.call("POST", "/execute/sync", { script: source, args });
  }

  async scriptAsync(source, ...args) {
    return this.call("POST", "/execute/async", { script: source, args }, 120000);
  }

  /** Chooses the option whose text starts with `label` in a <select>. */
  async choose(css, label) {
    return this.script(
      "const sel = document.querySelector(arguments[0]);" +
        "const opt = sel && [...sel.options].find((o) => o.text.startsWith(arguments[1]));" +
        "if (!opt) return false;" +
        "sel.value = opt.value; sel.dispatchEvent(new Event('change', { bubbles: true })); return true;",
      css,
      label,
    );
  }

  /** Scrolls the element to the middle of its scrolling box (a pointer action needs it in view). */
  async reveal(css) {
    const el = await this.$(css);
    await this.script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", { [ELEMENT]: el });
  }

  /** Drags the element by (dx, dy) pixels with a mouse pointer (W3C actions). */
  async drag(css, dx, dy) {
    const el = await this.$(css);
    await this.call("POST", "/actions", {
      actions: [
        {
          type: "pointer",
          id: "mouse",
          parameters: { pointerType: "mouse" },
          actions: [
            { type: "pointerMove", duration: 0, origin: { [ELEMENT]: el }, x: 0, y: 0 },
            { type: "pointerDown", button: 0 },
            { type: "pointerMove", duration: 200, origin: "pointer", x: dx, y: dy },
            { type: "pointerUp", button: 0 },
          ],
        },
      ],
    });
    await this.call("DELETE", "/actions").catch(() => {});
  }

  /**
   * The window as the official sees it, saved as `name` (a PNG) in the shots folder. Taken
   * from the X server (ImageMagick's `import`): WebKitWebDriver's own screenshot command
   * sometimes never answers under Xvfb while pdf.js renders.
   */
  async screenshot(name) {
    mkdirSync(this.shots, { recursive: true });
    const file = join(this.shots, name);
    await new Promise((r) => setTimeout(r, 300)); // the last change painted
    const tree = execFileSync("xwininfo", ["-root", "-tree"], { encoding: "utf8" });
    const id = tree.split("\n").find((l) => l.includes('"Kyso — Ký số"'))?.trim().split(/\s+/)[0];
    execFileSync("import", ["-window", id ?? "root", file], { timeout: 30000 });
    return file;
  }

  /** The text of the screen shown. */
  async screenText() {
    return String(await this.script("return document.querySelector('main > div:not([hidden])')?.innerText ?? ''"));
  }

  async end() {
    await this.call("DELETE", "").catch(() => {});
  }
}

/** Polls `predicate` until it returns something truthy (returned) or the time is up. */
export async function until(what, predicate, timeoutMs = 15000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    try {
      if ((last = await predicate())) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** The steps of a run, each reported as it ends; a failed step shows the window. */
export class Steps {
  constructor(session) {
    this.session = session;
    this.results = [];
  }

  async run(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.results.push(["ok", name]);
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.results.push(["FAIL", name]);
      console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
      await this.session
        .screenshot(`failed-${this.results.length}.png`)
        .catch((err) => console.log(`     (no screenshot: ${err})`));
      const shown = await this.session.screenText().catch(() => "");
      console.log(`     the screen read: ${shown.replace(/\s+/g, " ").slice(0, 1500)}`);
    }
  }

  fail(name) {
    this.results.push(["FAIL", name]);
    console.log(`FAIL ${name}`);
  }

  get failed() {
    return this.results.filter(([r]) => r !== "ok").length;
  }
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core (from npm) run in the webview on the screen shown: its violations rated serious
 * or critical, each as "rule: target…". The script is given to the page by WebDriver, not
 * loaded by the app (the CSP allows no script but the app's own).
 */
export async function accessibilityViolations(session) {
  const loaded = await session.script("return typeof window.axe !== 'undefined';");
  if (!loaded) await session.script(`${AXE_SOURCE}; return typeof window.axe;`);
  const violations = await session.scriptAsync(
    "const done = arguments[arguments.length - 1];" +
      "window.axe.run(document, { resultTypes: ['violations'] })" +
      ".then((r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')" +
      ".map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))))" +
      ".catch((e) => done(['axe failed: ' + e]));",
  );
  return violations;
}
