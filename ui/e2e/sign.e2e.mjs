// End-to-end test of the real desktop app through tauri-driver (W3C WebDriver).
// Run it with scripts/desktop-e2e.sh, which starts Xvfb, a session bus and
// tauri-driver. Native dialogs cannot be driven: the app reads the test's answer from
// KYSO_TEST_DIALOGS/pick (one path per line) instead, so `answer(paths)` comes before a click
// on a pick button.
//
// Env: KYSO_DESKTOP_BIN (the built binary), WEBDRIVER_URL (default
// http://127.0.0.1:4444), KYSO_E2E_SHOT_DIR (screenshots), and optionally a real
// signing fixture: KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD.
import { mkdtempSync, writeFileSync, existsSync, mkdirSync, rmSync, readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const BIN = process.env.KYSO_DESKTOP_BIN;
const WD = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444";
const SHOTS = process.env.KYSO_E2E_SHOT_DIR ?? tmpdir();
if (!BIN) throw new Error("set KYSO_DESKTOP_BIN to the built kyso-desktop binary");
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function wd(method, path, body) {
  const res = await fetch(`${WD}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

class Session {
  constructor(id) { this.id = id; this.base = `/session/${id}`; }
  static async start(app) {
    const value = await wd("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
    });
    return new Session(value.sessionId);
  }
  async $(css) {
    const ref = await wd("POST", `${this.base}/element`, { using: "css selector", value: css });
    const id = ref?.[ELEMENT] ?? ref?.ELEMENT;
    if (!id) throw new Error(`no element id for ${css}: ${JSON.stringify(ref)}`);
    return id;
  }
  async type(css, text) {
    const el = await this.$(css);
    await wd("POST", `${this.base}/element/${el}/clear`, {});
    await wd("POST", `${this.base}/element/${el}/value`, { text });
  }
  async click(css) { await wd("POST", `${this.base}/element/${await this.$(css)}/click`, {}); }
  async text(css) { return wd("GET", `${this.base}/element/${await this.$(css)}/text`); }
  async prop(css, name) { return wd("GET", `${this.base}/element/${await this.$(css)}/property/${name}`); }
  async attr(css, name) { return wd("GET", `${this.base}/element/${await this.$(css)}/attribute/${name}`); }
  async exists(css) {
    const found = await wd("POST", `${this.base}/elements`, { using: "css selector", value: css });
    return found.length > 0;
  }
  async screenshot(name) {
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, name);
    writeFileSync(file, Buffer.from(await wd("GET", `${this.base}/screenshot`), "base64"));
    return file;
  }
  async end() { await wd("DELETE", this.base).catch(() => {}); }
  /** Drags the element by (dx, dy) pixels with a mouse pointer (W3C actions). */
  async drag(css, dx, dy) {
    const el = await this.$(css);
    await wd("POST", `${this.base}/actions`, {
      actions: [{
        type: "pointer", id: "mouse", parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", duration: 0, origin: { [ELEMENT]: el }, x: 0, y: 0 },
          { type: "pointerDown", button: 0 },
          { type: "pointerMove", duration: 200, origin: "pointer", x: dx, y: dy },
          { type: "pointerUp", button: 0 },
        ],
      }],
    });
    await wd("DELETE", `${this.base}/actions`).catch(() => {});
  }
}

async function until(what, predicate, timeoutMs = 15000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    try { if ((last = await predicate())) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}


const results = [];
async function step(name, fn) {
  try { await fn(); results.push(["ok", name]); console.log(`ok   ${name}`); }
  catch (e) { results.push(["FAIL", name]); console.log(`FAIL ${name}\n     ${e.stack ?? e}`); }
}

const DIALOGS = process.env.KYSO_TEST_DIALOGS;
if (!DIALOGS) throw new Error("set KYSO_TEST_DIALOGS (scripts/desktop-e2e.sh does)");
/** The answer of the next native dialog: these paths (none: cancelled). */
const answer = (...paths) => writeFileSync(join(DIALOGS, "pick"), paths.join("\n") + "\n");

const work = mkdtempSync(join(tmpdir(), "kyso-e2e-"));
const s = await Session.start(BIN);
const { KYSO_E2E_PDF: pdf, KYSO_E2E_P12: p12, KYSO_E2E_P12_PASSWORD: pass } = process.env;
const { KYSO_E2E_KYSO_BIN: kysoBin, KYSO_E2E_TRUST_ROOT: trustRoot } = process.env;
const verifiedValid = (file) => {
  if (!kysoBin || !trustRoot) return true;
  try {
    execFileSync(kysoBin, ["verify", "--offline", "--trust", trustRoot, "--json", file], { encoding: "utf8" });
    return true;
  } catch (e) {
    throw new Error(`kyso verify ${file}: exit ${e.status}\n${e.stdout}`);
  }
};
try {
  await step("header shows the engine version; every screen opens", async () => {
    const v = await until("engine version", async () => {
      const t = await s.text("[data-testid=engine-version]");
      return /\d+\.\d+/.test(t) && t;
    });
    assert.match(v, /Phiên bản lõi ký số/);
    for (const screen of ["clerk", "mailbox", "verify", "identities", "settings", "sign"]) {
      await s.click(`[data-testid=nav-${screen}]`);
      await until(`${screen} current`, async () => (await s.attr(`[data-testid=nav-${screen}]`, "aria-current")) === "page");
      await s.screenshot(`screen-${screen}.png`);
    }
  });

  await step("language switch toggles Vietnamese and English", async () => {
    await s.click(".lang button[lang=en]");
    await until("English title", async () => (await s.text("h1")) === "Kyso — Document signing");
    assert.equal(await s.text("[data-testid=nav-sign]"), "Sign");
    await s.click(".lang button[lang=vi]");
    await until("Vietnamese title", async () => (await s.text("h1")) === "Kyso — Ký số văn bản");
  });

  await step("a damaged PDF is listed with its code, not signed", async () => {
    const notPdf = join(work, "hỏng.pdf");
    writeFileSync(notPdf, "hello, not a PDF\n");
    answer(notPdf);
    await s.click("[data-testid=pick-documents]");
    const code = await until("error code", () => s.text("[data-testid=document-error-code]"));
    assert.match(code, /^PDF_[A-Z_]+$/);
    assert.notEqual((await s.text("[data-testid=document-error-vi]")).trim(), "");
    assert.equal(await s.prop("[data-testid=sign-button]", "disabled"), true);
    await s.screenshot("e2e-damaged.png");
    await s.click("[data-testid=document] button.icon");
  });

  if (pdf && p12 && pass !== undefined) {
    await step("identities: a wrong .p12 password is a clear message", async () => {
      await s.click("[data-testid=nav-identities]");
      await s.click("[data-testid=import-toggle]");
      answer(p12);
      await s.click("[data-testid=import-pick]");
      await until("picked", async () => (await s.prop("[data-testid=import-p12]", "value")) === p12);
      await s.type("[data-testid=import-password]", "sai-mật-khẩu");
      await s.click("[data-testid=import-button]");
      assert.equal(await until("import error", () => s.text("[data-testid=import-error-code]")), "P12_WRONG_PASSWORD");
    });

    await step("identities: the .p12 imported into the keychain is listed", async () => {
      await s.type("[data-testid=import-password]", pass);
      await s.type("[data-testid=import-label]", "Chữ ký Nguyễn Văn An");
      await s.click("[data-testid=import-button]");
      await until("identity row", () => s.exists("[data-testid=identity-row]"));
      await s.screenshot("e2e-identities.png");
    });

    if (trustRoot) {
      await step("settings: the test PKI's root becomes a trust anchor", async () => {
        await s.click("[data-testid=nav-settings]");
        answer(trustRoot);
        await s.click("[data-testid=trust-add-anchor]");
        await until("trust entry", () => s.exists("[data-testid=trust-entry][data-kind=anchor]"));
      });
    }

    let signed;
    await step("sign: the preview shows the page, the leader's box is dragged, Ký signs there", async () => {
      await s.click("[data-testid=nav-sign]");
      const input = join(work, "Quyết định.pdf");
      writeFileSync(input, readFileSync(pdf));
      answer(input);
      await s.click("[data-testid=pick-documents]");
      await until("page rendered", async () => (await s.attr("[data-testid=preview-page-view]", "data-rendered")) === "yes", 30000);
      await until("signature box", () => s.exists("[data-testid=signature-box]"));
      await s.drag("[data-testid=signature-box]", -40, 30);
      await until("moved", async () => (await s.attr("[data-testid=box-found]", "data-moved")) === "yes");
      await s.screenshot("e2e-sign-preview.png");
      await s.click("[data-testid=sign-button]");
      signed = await until("result", () => s.text("[data-testid=result-output]"), 60000);
      assert.ok(existsSync(signed), "signed file written");
      if (process.env.KYSO_E2E_SIGNER) assert.ok((await s.text("[data-testid=result-signer]")).includes(process.env.KYSO_E2E_SIGNER));
      assert.ok(verifiedValid(signed));
      // The .p12 password is kept nowhere under KYSO_HOME.
      const leaks = [];
      const scan = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) scan(path);
          else if (readFileSync(path).includes(Buffer.from(pass))) leaks.push(path);
        }
      };
      scan(process.env.KYSO_HOME);
      assert.deepEqual(leaks, [], "the .p12 password was written to disk");
      await s.screenshot("e2e-signed.png");
    });

    await step("verify: the signed document is valid, its box highlighted", async () => {
      await until("verify enabled", async () => (await s.prop("[data-testid=result-verify]", "disabled")) === false);
      await s.click("[data-testid=result-verify]");
      const verdict = await until("verdict", () => s.attr("[data-testid=verify-verdict]", "data-verdict"), 60000);
      assert.equal(verdict, trustRoot ? "valid" : verdict);
      await s.screenshot("e2e-verify.png");
    });

    await step("batch: ten documents signed with progress, each one valid", async () => {
      await s.click("[data-testid=nav-sign]");
      const inputs = Array.from({ length: 10 }, (_, i) => join(work, `batch-${i}.pdf`));
      for (const f of inputs) writeFileSync(f, readFileSync(pdf));
      answer(...inputs);
      await s.click("[data-testid=pick-documents]");
      await until("ten listed", async () => (await s.text("[data-testid=sign-all]")).includes("10"));
      await s.click("[data-testid=sign-all]");
      await until("ten results", async () => {
        const found = await wd("POST", `${s.base}/elements`, { using: "css selector", value: "[data-testid=result]" });
        return found.length === 10;
      }, 120000);
      for (const f of inputs) assert.ok(existsSync(f.replace(/\.pdf$/, ".signed.pdf")), `${f} signed`);
    });
  } else if (process.env.KYSO_E2E_REQUIRE_SIGNING) {
    results.push(["fail", "signing fixture missing (KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD)"]);
  }
} finally {
  await s.end(); // always, or the app outlives tauri-driver
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter(([r]) => r !== "ok").length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
