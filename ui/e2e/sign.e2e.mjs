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
    // A command that hangs fails its step instead of the whole run.
    signal: AbortSignal.timeout(90000),
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
  async script(source, ...args) { return wd("POST", `${this.base}/execute/sync`, { script: source, args }); }
  /** Scrolls the element to the middle of its scrolling box (a pointer action needs it in view). */
  async reveal(css) {
    const el = await this.$(css);
    await this.script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", { [ELEMENT]: el });
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
  catch (e) {
    results.push(["FAIL", name]);
    console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
    // What the window showed when the step failed.
    await s.screenshot(`failed-${results.length}.png`).catch((err) => console.log(`     (no screenshot: ${err})`));
    const shown = await s.script("return document.querySelector('main > div:not([hidden])')?.innerText ?? ''").catch(() => "");
    console.log(`     the screen read: ${String(shown).replace(/\s+/g, " ").slice(0, 1500)}`);
  }
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
/** Chooses the identity whose label starts with `label` in the sign screen. */
const chooseIdentity = (label) =>
  until(`the identity ${label}`, () =>
    s.script(
      "const sel = document.querySelector('[data-testid=sign-with]');" +
        "const opt = [...sel.options].find((o) => o.text.startsWith(arguments[0]));" +
        "if (!opt) return false;" +
        "sel.value = opt.value; sel.dispatchEvent(new Event('change', { bubbles: true })); return true;",
      label,
    ),
  );
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
      await s.reveal("[data-testid=signature-box]");
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
      await until("the signature's box highlighted on the page", () => s.exists(".verify-screen .highlight"), 30000);
      await s.screenshot("e2e-verify.png");
    });

    const { KYSO_E2E_EXCHANGE_BIN: exchangeBin, KYSO_E2E_EXCHANGE_DB: exchangeDb } = process.env;
    if (exchangeBin && exchangeDb) {
      const fill = async (fields) => {
        for (const [id, value] of Object.entries(fields)) await s.type(`[data-testid=${id}]`, value);
      };
      await step("sending: a wrong agency code is shown under its field, nothing is queued", async () => {
        await s.click("[data-testid=nav-sign]");
        await s.click("[data-testid=result-send]");
        await until("send form", () => s.exists("[data-testid=send-card] form"));
        await fill({
          "meta-from-id": "H35",
          "meta-from-name": "Ủy ban nhân dân tỉnh Hà Nam",
          "meta-to-0-id": "000.01.35.H35",
          "meta-to-0-name": "Sở Thông tin và Truyền thông tỉnh Hà Nam",
          "meta-code-number": "123",
          "meta-code-notation": "QĐ-UBND",
          "meta-place": "Phủ Lý",
          "meta-type": "1",
          "meta-type-name": "Quyết định",
          "meta-subject": "Về việc phê duyệt Kế hoạch chuyển đổi số năm 2027",
          "meta-competence": "TM. Ủy ban nhân dân",
          "meta-position": "Chủ tịch",
          "meta-full-name": "Nguyễn Văn An",
        });
        await s.click("[data-testid=send-button]");
        await until("a problem under the sender's code", () => s.exists("[data-testid=problem][data-field='from.organ_id']"));
        assert.match(await s.text("[data-testid=problem][data-field='from.organ_id']"), /H35/);
        await s.click("[data-testid=nav-mailbox]");
        assert.equal(await s.exists("[data-testid=outbox-row]"), false, "nothing queued");
        await s.click("[data-testid=nav-sign]");
      });

      await step("sending: queued, synced with no click, \"đã tiếp nhận\" by the exchange (01)", async () => {
        await fill({ "meta-from-id": "000.00.00.H35" });
        await s.click("[data-testid=send-button]");
        await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
        await s.click("[data-testid=nav-mailbox]");
        const row = "[data-testid=outbox-row][data-state=sent]";
        await until("delivered", () => s.exists(row), 60000);
        assert.equal(await s.text(`${row} [data-testid=outbox-status-code]`), "01");
        assert.equal(await s.attr("[data-testid=sync-connection]", "data-connection"), "online");
        const docs = JSON.parse(execFileSync(exchangeBin, ["documents", "--json", "--db", exchangeDb], { encoding: "utf8" }));
        assert.equal(docs.length, 1, "exactly one document arrived");
        const sha = createHash("sha256").update(readFileSync(signed)).digest("hex");
        assert.equal(docs[0].attachments[0].sha256, sha, "the signed bytes arrived");
        assert.equal(docs[0].from_organ_id, "000.00.00.H35");
        await s.screenshot("e2e-mailbox.png");
      });
    } else if (process.env.KYSO_E2E_REQUIRE_EXCHANGE) {
      results.push(["fail", "exchange fixture missing (KYSO_E2E_EXCHANGE_PKI in desktop-e2e.sh)"]);
    }

    await step("identities: the same certificate twice is refused with IDENTITY_EXISTS", async () => {
      await s.click("[data-testid=nav-identities]");
      if (!(await s.exists("[data-testid=import-p12]"))) await s.click("[data-testid=import-toggle]");
      answer(p12);
      await s.click("[data-testid=import-pick]");
      await until("picked", async () => (await s.prop("[data-testid=import-p12]", "value")) === p12);
      await s.type("[data-testid=import-password]", pass);
      await s.type("[data-testid=import-label]", "Lần nữa");
      await s.click("[data-testid=import-button]");
      assert.equal(await until("import error", () => s.text("[data-testid=import-error-code]")), "IDENTITY_EXISTS");
    });

    const p12Pin = process.env.KYSO_E2E_P12_WITH_PIN;
    if (p12Pin) {
      await step("identities: with a signing PIN, a wrong PIN is refused (PIN_WRONG), the right one signs", async () => {
        const PIN = "2468-mã-pin";
        answer(p12Pin);
        await s.click("[data-testid=import-pick]");
        await until("picked", async () => (await s.prop("[data-testid=import-p12]", "value")) === p12Pin);
        await s.type("[data-testid=import-password]", pass);
        await s.type("[data-testid=import-label]", "Chữ ký có mã PIN");
        await s.click("[data-testid=import-with-pin]");
        await s.type("[data-testid=import-pin]", PIN);
        await s.type("[data-testid=import-pin-again]", PIN);
        await s.click("[data-testid=import-button]");
        await until("two identities", async () => (await wd("POST", `${s.base}/elements`, { using: "css selector", value: "[data-testid=identity-row]" })).length === 2);
        await s.click("[data-testid=nav-sign]");
        await chooseIdentity("Chữ ký có mã PIN");
        await until("the PIN field", () => s.exists("[data-testid=sign-pin]"));
        const input = join(work, "Công văn.pdf");
        writeFileSync(input, readFileSync(pdf));
        answer(input);
        await s.click("[data-testid=pick-documents]");
        await until("the document listed", () => s.exists(`[data-testid=document][data-path="${input}"]`));
        await s.type("[data-testid=sign-pin]", "1111");
        await s.click("[data-testid=sign-button]");
        assert.equal(await until("error code", () => s.text("[data-testid=error-code]"), 60000), "PIN_WRONG");
        assert.equal(existsSync(input.replace(/\.pdf$/, ".signed.pdf")), false, "no output on a wrong PIN");
        await s.type("[data-testid=sign-pin]", PIN);
        await s.click("[data-testid=sign-button]");
        const out = input.replace(/\.pdf$/, ".signed.pdf");
        await until("result", async () => (await s.text("[data-testid=result-output]")) === out, 60000);
        assert.ok(verifiedValid(out));
      });
    }

    await step("batch: ten documents signed with progress, each one valid", async () => {
      await s.click("[data-testid=nav-sign]");
      while (await s.exists("[data-testid=document] button.icon")) await s.click("[data-testid=document] button.icon");
      await chooseIdentity("Chữ ký Nguyễn Văn An");
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
      for (const f of inputs) {
        const out = f.replace(/\.pdf$/, ".signed.pdf");
        assert.ok(existsSync(out), `${f} signed`);
        assert.ok(verifiedValid(out));
      }
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
