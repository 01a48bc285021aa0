// End-to-end test of the real desktop app through tauri-driver (W3C WebDriver).
// Run it with scripts/desktop-e2e.sh, which starts Xvfb, a session bus and
// tauri-driver. Dialogs cannot be driven, so paths are typed into the text
// inputs next to the pick buttons.
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

const work = mkdtempSync(join(tmpdir(), "kyso-e2e-"));
const s = await Session.start(BIN);
try {
  await step("header shows the engine version", async () => {
    const v = await until("engine version", async () => {
      const t = await s.text("[data-testid=engine-version]");
      return /\d+\.\d+/.test(t) && t;
    });
    assert.match(v, /Phiên bản lõi ký số/);
  });

  await step("language switch toggles Vietnamese and English", async () => {
    await s.click(".lang button[lang=en]");
    await until("English title", async () => (await s.text("h1")) === "Kyso — Document signing");
    await s.click(".lang button[lang=vi]");
    await until("Vietnamese title", async () => (await s.text("h1")) === "Kyso — Ký số văn bản");
  });

  await step("typing an input path suggests <stem>.signed.pdf next to it", async () => {
    await s.type("[data-testid=input-path]", join(work, "Công văn.pdf"));
    await s.click("[data-testid=p12-path]"); // blur -> change -> suggest_output
    await until("suggested output", async () =>
      (await s.prop("[data-testid=output-path]", "value")) === join(work, "Công văn.signed.pdf"));
  });

  await step("a failed signature shows the code, Vietnamese and English text", async () => {
    const notPdf = join(work, "not-a-pdf.pdf");
    writeFileSync(notPdf, "hello, not a PDF\n");
    await s.type("[data-testid=input-path]", notPdf);
    await s.type("[data-testid=p12-path]", join(work, "missing.p12"));
    await s.type("[data-testid=output-path]", join(work, "out.pdf"));
    await s.type("[data-testid=p12-password]", "sai-mật-khẩu");
    await s.click("[data-testid=sign-button]");
    const code = await until("error code", () => s.text("[data-testid=error-code]"));
    assert.match(code, /^[A-Z0-9_]+$/);
    assert.notEqual((await s.text("[data-testid=error-vi]")).trim(), "");
    assert.notEqual((await s.text("[data-testid=error-en]")).trim(), "");
    assert.equal(await s.prop("[data-testid=p12-password]", "value"), "", "password cleared");
    console.log(`     (${code})`);
    await s.screenshot("e2e-error.png");
  });

  const { KYSO_E2E_PDF: pdf, KYSO_E2E_P12: p12, KYSO_E2E_P12_PASSWORD: pass } = process.env;
  if (pdf && p12 && pass !== undefined) {
    await step("signing a real PDF shows the output path and the signer", async () => {
      const out = join(work, "signed.pdf");
      await s.type("[data-testid=input-path]", pdf);
      await s.type("[data-testid=p12-path]", p12);
      await s.type("[data-testid=output-path]", out);
      await s.type("[data-testid=p12-password]", pass);
      await s.click("[data-testid=sign-button]");
      const shown = await until("result", () => s.text("[data-testid=result-output]"), 60000);
      assert.equal(shown, out);
      const signer = (await s.text("[data-testid=result-signer]")).trim();
      assert.notEqual(signer, "");
      if (process.env.KYSO_E2E_SIGNER) assert.ok(signer.includes(process.env.KYSO_E2E_SIGNER), `signer shown: ${signer}`);
      assert.ok(existsSync(out), "signed file written");
      await s.screenshot("e2e-signed.png");
    });

    const { KYSO_E2E_EXCHANGE_BIN: exchangeBin, KYSO_E2E_EXCHANGE_DB: exchangeDb } = process.env;
    if (exchangeBin && exchangeDb) {
      const fill = async (fields) => {
        for (const [id, value] of Object.entries(fields)) await s.type(`[data-testid=${id}]`, value);
      };
      await step("sending: a wrong agency code is shown under its field, nothing is queued", async () => {
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
        const field = await until("a problem under the sender's code", async () =>
          (await s.exists("[data-testid=problem][data-field='from.organ_id']")) && "shown");
        assert.equal(field, "shown");
        assert.match(await s.text("[data-testid=problem][data-field='from.organ_id']"), /H35/);
        assert.equal(await s.exists("[data-testid=outbox-row]"), false, "nothing queued");
        await s.screenshot("e2e-send-problem.png");
      });

      await step("sending: the signed PDF goes through the outbox and reaches the exchange (01)", async () => {
        await fill({ "meta-from-id": "000.00.00.H35" });
        await s.click("[data-testid=send-button]");
        await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
        // The background sync delivers it with no further click; the row turns "sent".
        const row = "[data-testid=outbox-row][data-state=sent]";
        await until("delivered", () => s.exists(row), 60000);
        assert.equal(await s.text(`${row} [data-testid=outbox-status-code]`), "01");
        assert.equal(await s.attr("[data-testid=sync-connection]", "data-connection"), "online");
        const docs = JSON.parse(execFileSync(exchangeBin, ["documents", "--json", "--db", exchangeDb], { encoding: "utf8" }));
        assert.equal(docs.length, 1, "exactly one document arrived");
        const sha = createHash("sha256").update(readFileSync(join(work, "signed.pdf"))).digest("hex");
        assert.equal(docs[0].attachments[0].sha256, sha, "the signed bytes arrived");
        assert.equal(docs[0].from_organ_id, "000.00.00.H35");
        await s.screenshot("e2e-sent.png");
      });
    } else if (process.env.KYSO_E2E_REQUIRE_EXCHANGE) {
      results.push(["fail", "exchange fixture missing (KYSO_E2E_EXCHANGE_PKI in desktop-e2e.sh)"]);
    }

    // Identities: the vault keeps the key under the session's real keyring.
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
    const importP12 = async (file, label, pin) => {
      if (!(await s.exists("[data-testid=import-p12]"))) await s.click("[data-testid=import-toggle]");
      await s.type("[data-testid=import-p12]", file);
      await s.type("[data-testid=import-password]", pass);
      await s.type("[data-testid=import-label]", label);
      if (pin) {
        await s.click("[data-testid=import-with-pin]");
        await s.type("[data-testid=import-pin]", pin);
        await s.type("[data-testid=import-pin-again]", pin);
      }
      await s.click("[data-testid=import-button]");
    };
    const signTo = async (name) => {
      const out = join(work, name);
      await s.type("[data-testid=input-path]", pdf);
      await s.type("[data-testid=output-path]", out);
      await s.click("[data-testid=sign-button]");
      return out;
    };

    await step("identities: a .p12 imported into the keychain signs with no file and no password", async () => {
      await importP12(p12, "Chữ ký Nguyễn Văn An");
      await until("the new identity is chosen", async () => (await s.prop("[data-testid=sign-with]", "value")) !== "");
      assert.match(await s.text("[data-testid=identity-subject]"), /Nguyễn Văn An/);
      assert.equal(await s.exists("[data-testid=p12-password]"), false, "no password asked");
      assert.equal(await s.exists("[data-testid=sign-pin]"), false, "no PIN asked");
      const out = await signTo("signed-vault.pdf");
      await until("result", async () => (await s.text("[data-testid=result-output]")) === out, 60000);
      assert.ok(verifiedValid(out));
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
      await s.screenshot("e2e-identity.png");
    });

    await step("identities: the same certificate twice is refused with IDENTITY_EXISTS", async () => {
      await importP12(p12, "Lần nữa");
      const code = await until("import error", () => s.text("[data-testid=import-error-code]"));
      assert.equal(code, "IDENTITY_EXISTS");
    });

    const p12Pin = process.env.KYSO_E2E_P12_WITH_PIN;
    if (p12Pin) {
      await step("identities: with a signing PIN, a wrong PIN is refused (PIN_WRONG), the right one signs", async () => {
        const PIN = "2468-mã-pin";
        await importP12(p12Pin, "Chữ ký có mã PIN", PIN);
        await until("the PIN field", () => s.exists("[data-testid=sign-pin]"));
        await s.type("[data-testid=sign-pin]", "1111");
        await signTo("signed-pin-wrong.pdf");
        assert.equal(await until("error code", () => s.text("[data-testid=error-code]"), 60000), "PIN_WRONG");
        assert.equal(existsSync(join(work, "signed-pin-wrong.pdf")), false, "no output on a wrong PIN");
        await s.type("[data-testid=sign-pin]", PIN);
        const out = await signTo("signed-pin.pdf");
        await until("result", async () => (await s.text("[data-testid=result-output]")) === out, 60000);
        assert.ok(verifiedValid(out));
      });
    }
  } else if (process.env.KYSO_E2E_REQUIRE_SIGNING) {
    results.push(["fail", "signing fixture missing (KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD)"]);
  } else {
    console.log("skip signing a real PDF (set KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD)");
  }
} finally {
  await s.end(); // always, or the app outlives tauri-driver
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter(([r]) => r !== "ok").length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
