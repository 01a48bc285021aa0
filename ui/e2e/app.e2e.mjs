// End to end through the real desktop app (tauri-driver + WebKitWebDriver under Xvfb, a real
// gnome-keyring, SoftHSM2 as a USB token, the reference exchange and a TSA backed by
// `openssl ts`): the journeys of an official, a clerk and an IT administrator, each judged
// by Kyso's CLI and pyHanko on the files the app wrote. Run it with scripts/desktop-e2e.sh,
// which starts the session, the keyring, the token and tauri-driver.
//
// Native dialogs cannot be driven: with KYSO_TEST_DIALOGS the app reads the test's answer
// from a file instead (src-tauri/src/files.rs), so `answer(paths)` comes before a click on a
// pick button. Screenshots of every screen go to KYSO_E2E_SHOT_DIR (the README's and the
// user guide's come from there).
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { Session, Steps, WebDriver, accessibilityViolations, until } from "./webdriver.mjs";
import { exchange as exchangeServer, tsa as tsaServer, validators, vdxpPlatform } from "./services.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (scripts/desktop-e2e.sh does)`);
  return value;
};
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKI = realpathSync(env("KYSO_E2E_PKI"));
const PDF = realpathSync(env("KYSO_E2E_PDF"));
const DIALOGS = env("KYSO_TEST_DIALOGS");
const HOME = env("KYSO_HOME");
const TOKEN_PIN = env("KYSO_E2E_TOKEN_PIN");
const SHOTS = process.env.KYSO_E2E_SHOT_DIR ?? tmpdir();
const PASSWORD = readFileSync(join(PKI, "p12-password.txt"), "utf8").trim();
const EXCHANGE_SECRET = "e2e-bí-mật";
const P12 = {
  leader: join(PKI, "signer-modern.p12"), // Nguyễn Văn An
  withPin: join(PKI, "signer-3072.p12"), // Trần Thị Bình
  expired: join(PKI, "expired.p12"),
};
const IMAGES = {
  signature: join(REPO, "assets", "images", "sample-signature.png"),
  seal: join(REPO, "assets", "images", "sample-seal.png"),
};

const exchange = exchangeServer({
  bin: env("KYSO_E2E_EXCHANGE_BIN"),
  config: env("KYSO_E2E_EXCHANGE_CONFIG"),
  db: env("KYSO_E2E_EXCHANGE_DB"),
  port: env("KYSO_E2E_EXCHANGE_PORT"),
});
const vdxp = vdxpPlatform({
  bin: env("KYSO_E2E_EXCHANGE_BIN"),
  config: env("KYSO_E2E_VDXP_CONFIG"),
  db: env("KYSO_E2E_VDXP_DB"),
  port: env("KYSO_E2E_VDXP_PORT"),
});
/** The HMAC key of the VDXP double's sender (scripts/desktop-e2e.sh). */
const VDXP_SECRET = "vdxp-khóa-bí-mật";
const tsa = tsaServer({ python: "python3", script: env("KYSO_E2E_TSA_SCRIPT"), dir: env("KYSO_E2E_TSA_DIR"), port: env("KYSO_E2E_TSA_PORT") });
const judge = validators({ kyso: env("KYSO_E2E_KYSO_BIN"), pyhanko: env("KYSO_E2E_PYHANKO"), root: join(PKI, "root.pem") });

/** The answer of the next native dialog: these paths (none: cancelled). */
const answer = (...paths) => writeFileSync(join(DIALOGS, "pick"), paths.join("\n") + "\n");
const work = mkdtempSync(join(tmpdir(), "kyso-e2e-"));
/** A copy of the test PDF under `name` in the run's folder. */
const copyOfPdf = (name, from = PDF) => {
  const path = join(work, name);
  writeFileSync(path, readFileSync(from));
  return path;
};
const signedPath = (input) => input.replace(/\.pdf$/, ".signed.pdf");

/** Every signature of `file` valid for Kyso's CLI and for pyHanko (INTACT, TRUSTED). */
function assertValid(file, signatures = 1) {
  const report = judge.kyso(file);
  assert.equal(report.verdict, "valid", `kyso verify: ${JSON.stringify(report.reasons)}`);
  assert.equal(report.signatures.length, signatures, "signatures in the file");
  const py = judge.pyhanko(file);
  const intact = py.match(/INTACT:TRUSTED/g) ?? [];
  assert.ok(intact.length >= signatures, `pyHanko: ${py}`);
  return report;
}

// The shots of an earlier run's failures would be mistaken for this one's.
for (const name of existsSync(SHOTS) ? readdirSync(SHOTS) : []) {
  if (name.startsWith("failed-")) rmSync(join(SHOTS, name));
}
await exchange.start();
await tsa.start();
const driver = new WebDriver(process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444");
const s = await Session.start(driver, env("KYSO_DESKTOP_BIN"), SHOTS);
const steps = new Steps(s);
const step = (name, fn) => steps.run(name, fn);

const nav = async (screen) => {
  await s.click(`[data-testid=nav-${screen}]`);
  await until(`${screen} shown`, async () => (await s.attr(`[data-testid=nav-${screen}]`, "aria-current")) === "page");
};
const pickP12 = async (path) => {
  answer(path);
  await s.click("[data-testid=import-pick]");
  await until("the .p12 picked", async () => (await s.prop("[data-testid=import-p12]", "value")) === path);
};
const importP12 = async (path, label, password = PASSWORD) => {
  await pickP12(path);
  await s.type("[data-testid=import-password]", password);
  await s.type("[data-testid=import-label]", label);
  await s.click("[data-testid=import-button]");
};
/** Empties the sign screen's list: "Bỏ tất cả" for several documents, × for the last one. */
const clearDocuments = async () => {
  if (await s.exists("[data-testid=clear-documents]")) await s.click("[data-testid=clear-documents]");
  while (await s.exists("[data-testid=document] button.icon")) {
    await s.reveal("[data-testid=document] button.icon");
    await s.click("[data-testid=document] button.icon");
  }
};
const pickDocuments = async (...paths) => {
  answer(...paths);
  await s.click("[data-testid=pick-documents]");
  await until(`${paths.length} listed`, async () => {
    for (const p of paths) if (!(await s.exists(`[data-testid=document][data-path="${p}"]`))) return false;
    return true;
  });
};
const chooseIdentity = (label) => until(`the identity ${label}`, () => s.choose("[data-testid=sign-with]", label));
const chooseTemplate = (name) => s.script(
  "const sel = document.querySelector('[data-testid=template]'); sel.value = arguments[0];" +
    "sel.dispatchEvent(new Event('change', { bubbles: true })); return true;",
  name,
);
/** How many files the last signing signed (the list shows the first 20 of a batch). */
const results = async () => ((await s.exists("[data-testid=results]")) ? Number(await s.attr("[data-testid=results]", "data-count")) : 0);
const fillSendForm = async (fields) => {
  for (const [id, value] of Object.entries(fields)) await s.type(`[data-testid=${id}]`, value);
};
const SEND_FORM = {
  "meta-from-id": "000.00.00.H35",
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
};
/** The outbox row of the document whose attachment is `name`. */
const outboxRow = (name) => `[data-testid=outbox-row][data-name="${name}"]`;
const noAccessibilityProblem = async (where) => {
  const violations = await accessibilityViolations(s);
  assert.deepEqual(violations, [], `axe-core on ${where}`);
};
/** No secret of the run written anywhere under KYSO_HOME. */
const assertNoSecretOnDisk = (secrets) => {
  const leaks = [];
  const scan = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) scan(path);
      else {
        const bytes = readFileSync(path);
        for (const secret of secrets) if (bytes.includes(Buffer.from(secret))) leaks.push(`${path}: ${secret}`);
      }
    }
  };
  scan(HOME);
  assert.deepEqual(leaks, [], "a secret was written to disk");
};

let leaderSigned; // the leader's signed decision, for the clerk
try {
  // ---- First run: an official with nothing set up yet --------------------------------------
  await step("first run: the welcome screen opens and finds the token driver and the token", async () => {
    await until("the first-run screen", async () => (await s.attr("[data-testid=nav-welcome]", "aria-current")) === "page", 30000);
    assert.match(await s.text("[data-testid=engine-version]"), /Phiên bản lõi ký số: \d+\.\d+/);
    await until("the token drivers looked at", () => s.exists("[data-testid=token-summary]"), 30000);
    assert.ok(await s.exists("[data-testid=token-module][data-present=yes]"), "SoftHSM2's module found");
    assert.ok(await s.exists("[data-testid=token-add]"), "the inserted token offered");
    assert.match(await s.text("[data-testid=token-summary]"), /1 token đang cắm/);
    await s.screenshot("screen-welcome.png");
    await noAccessibilityProblem("the first-run screen");
  });

  await step("first run: a wrong .p12 password is a clear message, in Vietnamese first", async () => {
    await pickP12(P12.leader);
    await s.type("[data-testid=import-password]", "sai-mật-khẩu");
    await s.click("[data-testid=import-button]");
    assert.equal(await until("import error", () => s.text("[data-testid=import-error-code]")), "P12_WRONG_PASSWORD");
    assert.match(await s.text("[data-testid=import-error] p[lang=vi]"), /[Mm]ật khẩu/);
  });

  await step("first run: an expired certificate is refused with a clear message", async () => {
    await importP12(P12.expired, "Hết hạn");
    assert.equal(await until("import error", () => s.text("[data-testid=import-error-code]")), "CERT_EXPIRED");
    assert.match(await s.text("[data-testid=import-error] p[lang=vi]"), /hết hạn/);
    assert.equal(await s.exists("[data-testid=welcome-identities]"), false, "nothing imported");
  });

  await step("first run: the .p12 goes into the keychain", async () => {
    await importP12(P12.leader, "Chữ ký Nguyễn Văn An");
    await until("ready to sign", () => s.exists("[data-testid=welcome-identities]"), 30000);
    assert.match(await s.text("[data-testid=welcome-identity]"), /Nguyễn Văn An/);
  });

  await step("first run: the exchange and its secret (checked, kept in the keychain)", async () => {
    await s.type("[data-testid=exchange-url]", exchange.url);
    await s.type("[data-testid=exchange-client]", "e2e");
    await s.type("[data-testid=exchange-secret]", EXCHANGE_SECRET);
    await s.click("[data-testid=exchange-save]");
    await until("the exchange ready", () => s.exists("[data-testid=welcome-exchange-ready]"), 30000);
    assert.equal(await s.prop("[data-testid=exchange-secret]", "value"), "", "the secret is not kept in the window");
    await s.screenshot("e2e-welcome-done.png");
  });

  await step("first run: the sample document opens in Ký số, the leader's name found", async () => {
    await s.click("[data-testid=welcome-sample]");
    await until("the sign screen", async () => (await s.attr("[data-testid=nav-sign]", "aria-current")) === "page");
    await until("the sample listed", () => s.exists("[data-testid=document][data-path$='van-ban-mau.pdf']"));
    await until("page rendered", async () => (await s.attr("[data-testid=preview-page-view]", "data-rendered")) === "yes", 30000);
    await until("the box at the name", async () => (await s.attr("[data-testid=box-found]", "data-found")) === "yes", 30000);
    await clearDocuments();
  });

  await step("a damaged PDF is listed with its code and a sentence, not signed", async () => {
    const notPdf = join(work, "hỏng.pdf");
    writeFileSync(notPdf, "hello, not a PDF\n");
    answer(notPdf);
    await s.click("[data-testid=pick-documents]");
    const code = await until("error code", () => s.text("[data-testid=document-error-code]"));
    assert.match(code, /^PDF_[A-Z_]+$/);
    assert.match(await s.text("[data-testid=document-error-text]"), /PDF/);
    assert.equal(await s.prop("[data-testid=sign-button]", "disabled"), true);
    await s.screenshot("e2e-damaged.png");
    await clearDocuments();
  });

  // ---- The leader signs, verifies and sends -------------------------------------------------
  await step("settings: the test PKI's root becomes a trust anchor", async () => {
    await nav("settings");
    answer(join(PKI, "root.pem"));
    await s.click("[data-testid=trust-add-anchor]");
    await until("trust entry", () => s.exists("[data-testid=trust-entry][data-kind=anchor]"));
  });

  await step("sign: the preview shows the page, the leader's box is dragged, Ký signs there", async () => {
    await nav("sign");
    const input = copyOfPdf("Quyết định.pdf");
    await pickDocuments(input);
    await chooseIdentity("Chữ ký Nguyễn Văn An");
    await chooseTemplate("leader");
    answer(IMAGES.signature);
    await s.click("[data-testid=pick-image]");
    await until("page rendered", async () => (await s.attr("[data-testid=preview-page-view]", "data-rendered")) === "yes", 30000);
    await until("signature box", () => s.exists("[data-testid=signature-box]"));
    await until("the thumbnails drawn", () => s.exists(".thumbs canvas[data-rendered=yes]"), 30000);
    await s.reveal("[data-testid=signature-box]");
    await s.drag("[data-testid=signature-box]", -40, 30);
    await until("moved", async () => (await s.attr("[data-testid=box-found]", "data-moved")) === "yes");
    await s.screenshot("screen-sign.png");
    await s.click("[data-testid=sign-button]");
    leaderSigned = await until("result", () => s.text("[data-testid=result-output]"), 60000);
    assert.equal(leaderSigned, signedPath(input));
    assert.match(await s.text("[data-testid=result-signer]"), /Nguyễn Văn An/);
    const report = assertValid(leaderSigned);
    assert.ok(report.signatures[0].widget, "a visible signature");
    assertNoSecretOnDisk([PASSWORD, EXCHANGE_SECRET]);
    await s.screenshot("e2e-signed.png");
  });

  await step("verify: the signed document is valid, its box highlighted", async () => {
    await until("verify enabled", async () => (await s.prop("[data-testid=result-verify]", "disabled")) === false);
    await s.click("[data-testid=result-verify]");
    assert.equal(await until("verdict", () => s.attr("[data-testid=verify-verdict]", "data-verdict"), 60000), "valid");
    await until("the signature's box highlighted on the page", () => s.exists(".verify-screen .highlight"), 30000);
    await until("the page drawn", () => s.exists(".verify-screen [data-testid=preview-page-view][data-rendered=yes]"), 30000);
    await s.screenshot("screen-verify.png");
    await noAccessibilityProblem("the verify screen with a report");
  });

  await step("sending: a wrong agency code is shown under its field, nothing is queued", async () => {
    await nav("sign");
    await s.click("[data-testid=result-send]");
    await until("send form", () => s.exists("[data-testid=send-card] form"));
    await fillSendForm({ ...SEND_FORM, "meta-from-id": "H35" });
    await s.click("[data-testid=send-button]");
    await until("a problem under the sender's code", () => s.exists("[data-testid=problem][data-field='from.organ_id']"));
    assert.match(await s.text("[data-testid=problem][data-field='from.organ_id']"), /H35/);
    await nav("mailbox");
    assert.equal(await s.exists("[data-testid=outbox-row]"), false, "nothing queued");
    await nav("sign");
  });

  await step("sending: queued, delivered with no click (01), then \"đã tiếp nhận\" (03) with a notification", async () => {
    await fillSendForm({ "meta-from-id": "000.00.00.H35" });
    await s.click("[data-testid=send-button]");
    await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
    await nav("mailbox");
    const name = "Quyết định.signed.pdf";
    await until("delivered", () => s.exists(`${outboxRow(name)}[data-state=sent]`), 60000);
    assert.equal(await s.text(`${outboxRow(name)} [data-testid=outbox-status-code]`), "01");
    const docs = exchange.documents();
    assert.equal(docs.length, 1, "exactly one document arrived");
    assert.equal(docs[0].attachments[0].sha256, createHash("sha256").update(readFileSync(leaderSigned)).digest("hex"));
    exchange.setStatus(docs[0].receipt_id, "03", "Đã vào sổ văn bản đến");
    await until("registered", async () => (await s.text(`${outboxRow(name)} [data-testid=outbox-status-code]`)) === "03", 30000);
    assert.match(await s.text(`${outboxRow(name)} [data-testid=outbox-state-text]`), /tiếp nhận/);
    assert.equal(await s.attr("[data-testid=sync-connection]", "data-connection"), "online");
    await s.screenshot("screen-mailbox.png");
  });

  // ---- A USB token: found by the app, PIN asked once, ten files -----------------------------
  await step("token: found by the app and added as an identity", async () => {
    await nav("identities");
    await s.click("[data-testid=token-diagnose]");
    await until("the token offered", () => s.exists("[data-testid=token-add]"), 30000);
    await s.click("[data-testid=token-add]");
    await until("the token's identity", () => s.exists("[data-testid=identity-row][data-source=token]"), 30000);
    await s.screenshot("screen-identities.png");
  });

  await step("token: the PIN asked once, ten files signed, then another without asking", async () => {
    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Lê Văn Cường");
    await chooseTemplate("invisible");
    await until("the PIN field", () => s.exists("[data-testid=sign-pin]"));
    const inputs = Array.from({ length: 10 }, (_, i) => copyOfPdf(`token-${i}.pdf`));
    await pickDocuments(...inputs);
    await s.type("[data-testid=sign-pin]", TOKEN_PIN);
    await s.click("[data-testid=sign-all]");
    await until("ten results", async () => (await results()) === 10, 120000);
    for (const f of inputs) assertValid(signedPath(f));
    await clearDocuments();
    const again = copyOfPdf("token-again.pdf");
    await pickDocuments(again);
    assert.equal(await s.exists("[data-testid=sign-pin]"), false, "the token stays unlocked in this session");
    await s.click("[data-testid=sign-button]");
    await until("signed without the PIN", async () => (await s.text("[data-testid=result-output]")) === signedPath(again), 60000);
    assertValid(signedPath(again));
  });

  // ---- The clerk: number, date, the seal (the agency's certificate, on the token), send --
  let sealed;
  await step("clerk: number and date added, the seal over the leader's image, every signature still valid", async () => {
    await nav("clerk");
    answer(leaderSigned);
    await s.click("[data-testid=clerk-pick]");
    await until("the leader's document listed", () => s.exists("[data-testid=clerk-row]"));
    await s.type("[data-testid=clerk-number-0]", "15");
    // Day first, as offices write it, whatever the system's locale.
    await s.type("[data-testid=clerk-date-0]", "1/12/2026");
    assert.equal(await s.prop("[data-testid=clerk-date-0]", "value"), "01/12/2026");
    await s.click("[data-testid=clerk-stamp-0]");
    await until("number and date written", () => s.exists("[data-testid=clerk-stamped]"), 30000);
    assert.ok(await until("the seal identity", () => s.choose("[data-testid=seal-with]", "Lê Văn Cường")));
    assert.equal(await s.exists("[data-testid=seal-pin]"), false, "the token is still unlocked");
    answer(IMAGES.seal);
    await s.click("[data-testid=clerk-seal-image]");
    await until("the seal image chosen", async () => (await s.text("[data-testid=clerk-seal-image-path]")).endsWith("sample-seal.png"));
    await s.click("[data-testid=clerk-seal-0]");
    await until("sealed", () => s.exists("[data-testid=clerk-sealed]"), 60000);
    sealed = join(dirname(leaderSigned), "Quyết định.stamped.signed.pdf");
    assert.ok(existsSync(sealed), `${sealed} written`);
    const report = assertValid(sealed, 2);
    const leader = report.signatures[0];
    assert.equal(leader.verdict, "valid", "the leader's signature stays valid after the number, date and seal");
    await s.screenshot("screen-clerk.png");
  });

  await step("clerk: the sealed document sent", async () => {
    await s.click("[data-testid=clerk-send-0]");
    await until("send form", () => s.exists("[data-testid=send-card] form"));
    await fillSendForm({ ...SEND_FORM, "meta-code-number": "15" });
    await s.click("[data-testid=send-button]");
    await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
    await until("arrived", () => exchange.documents().length === 2, 60000);
  });

  await step("token: locked from the identities screen, the PIN is asked again", async () => {
    await nav("identities");
    await s.click("[data-testid=identity-lock]");
    await nav("sign");
    await chooseIdentity("Lê Văn Cường");
    await until("the PIN field again", () => s.exists("[data-testid=sign-pin]"));
  });

  // ---- Identities: a signing PIN on a vault identity; the same certificate twice -----------
  await step("identities: with a signing PIN, a wrong PIN is refused (PIN_WRONG), the right one signs", async () => {
    const PIN = "2468-mã-pin";
    await nav("identities");
    if (!(await s.exists("[data-testid=import-p12]"))) await s.click("[data-testid=import-toggle]");
    await pickP12(P12.withPin);
    await s.type("[data-testid=import-password]", PASSWORD);
    await s.type("[data-testid=import-label]", "Chữ ký có mã PIN");
    await s.click("[data-testid=import-with-pin]");
    await s.type("[data-testid=import-pin]", PIN);
    await s.type("[data-testid=import-pin-again]", PIN);
    await s.click("[data-testid=import-button]");
    await until("three identities", async () => (await s.count("[data-testid=identity-row]")) === 3, 30000);
    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Chữ ký có mã PIN");
    await until("the PIN field", () => s.exists("[data-testid=sign-pin]"));
    const input = copyOfPdf("Công văn.pdf");
    await pickDocuments(input);
    await s.type("[data-testid=sign-pin]", "1111");
    await s.click("[data-testid=sign-button]");
    assert.equal(await until("error code", () => s.text("[data-testid=error-code]"), 60000), "PIN_WRONG");
    assert.equal(existsSync(signedPath(input)), false, "no output on a wrong PIN");
    await s.type("[data-testid=sign-pin]", PIN);
    await s.click("[data-testid=sign-button]");
    await until("result", async () => (await s.text("[data-testid=result-output]")) === signedPath(input), 60000);
    assertValid(signedPath(input));
    assertNoSecretOnDisk([PASSWORD, EXCHANGE_SECRET, PIN]);
  });

  await step("identities: the same certificate twice is refused with IDENTITY_EXISTS", async () => {
    await nav("identities");
    if (!(await s.exists("[data-testid=import-p12]"))) await s.click("[data-testid=import-toggle]");
    await importP12(P12.leader, "Lần nữa");
    assert.equal(await until("import error", () => s.text("[data-testid=import-error-code]")), "IDENTITY_EXISTS");
  });

  // ---- A batch of fifty with progress, cancelled in the middle ------------------------------
  await step("batch: fifty documents with progress, cancelled in the middle, no partial file", async () => {
    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Chữ ký Nguyễn Văn An");
    await chooseTemplate("leader");
    const folder = mkdtempSync(join(work, "batch-"));
    const inputs = Array.from({ length: 50 }, (_, i) => {
      const path = join(folder, `lo-${String(i).padStart(2, "0")}.pdf`);
      writeFileSync(path, readFileSync(PDF));
      return path;
    });
    answer(...inputs);
    await s.click("[data-testid=pick-documents]");
    await until("fifty listed", async () => (await s.text("[data-testid=sign-all]")).includes("50"));
    await s.click("[data-testid=sign-all]");
    await until("progress shown", () => s.exists("[data-testid=batch-progress] progress"));
    await until("a few signed", async () => (await results()) >= 3, 120000);
    await s.screenshot("e2e-batch-progress.png");
    await s.click("[data-testid=sign-cancel]");
    await until("the batch over", async () => !(await s.exists("[data-testid=batch-progress]")), 120000);
    const signed = inputs.filter((f) => existsSync(signedPath(f)));
    assert.ok(signed.length >= 3 && signed.length < 50, `cancelled in the middle (${signed.length} signed)`);
    assert.equal(await results(), signed.length, "one result per signed file");
    if (signed.length > 20) {
      assert.equal(await s.count("[data-testid=result]"), 20, "the first twenty listed");
      await s.click("[data-testid=results-more]");
      await until("every result listed", async () => (await s.count("[data-testid=result]")) === signed.length);
    }
    assert.ok(await s.exists("[data-testid=document-state].cancelled"), "the rest marked cancelled");
    const leftovers = readdirSync(folder).filter((n) => n.endsWith(".kyso-tmp") || (n.endsWith(".signed.pdf") && !signed.includes(join(folder, n.replace(".signed.pdf", ".pdf")))));
    assert.deepEqual(leftovers, [], "no partial output");
    for (const f of [signed[0], signed.at(-1)]) assertValid(signedPath(f));
    await clearDocuments();
  });

  // ---- Offline: exchange and TSA down, then back -----------------------------------------------
  await step("offline: signed at B-B and queued \"chờ dấu thời gian\"; both back: B-T and delivered with no click", async () => {
    await nav("settings");
    await s.type("[data-testid=tsa-urls]", tsa.url);
    await s.script("document.querySelector('[data-testid=tsa-urls]').dispatchEvent(new Event('change', { bubbles: true })); return true;");
    await until("the TSA saved", () => s.exists("[data-testid=settings-saved]"));
    await s.choose("[data-testid=level]", "B-T");
    await until("level B-T", async () => (await s.prop("[data-testid=level]", "value")) === "B-T");
    await s.screenshot("screen-settings.png");
    await exchange.stop();
    await tsa.stop();

    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Chữ ký Nguyễn Văn An");
    const input = copyOfPdf("Ngoại tuyến.pdf");
    await pickDocuments(input);
    await chooseTemplate("invisible");
    await s.click("[data-testid=sign-button]");
    await until("signed", async () => (await s.text("[data-testid=result-output]")) === signedPath(input), 120000);
    assert.equal(await s.text("[data-testid=result-level]"), "B-B");
    assert.ok(await s.exists("[data-testid=result-timestamp-due]"), "the timestamp is due");
    await s.click("[data-testid=result-send]");
    await until("send form", () => s.exists("[data-testid=send-card] form"));
    await fillSendForm(SEND_FORM);
    await s.click("[data-testid=send-button]");
    await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
    await nav("mailbox");
    const row = outboxRow("Ngoại tuyến.signed.pdf");
    await until("waiting for its timestamp", () => s.exists(`${row} [data-testid=outbox-timestamp-due]`), 30000);
    await until("offline", async () => (await s.attr("[data-testid=sync-connection]", "data-connection")) === "offline", 30000);
    await s.screenshot("e2e-offline.png");

    // The TSA first: an exchange that answers while no TSA does gets the document at B-B, as
    // `sync.require-timestamp false` says.
    await tsa.start();
    await exchange.start();
    await until("delivered at B-T with no click", () => s.exists(`${row}[data-state=sent]`), 90000);
    assert.equal(await s.text(`${row} [data-testid=outbox-level]`), "B-T");
    const report = judge.kyso(signedPath(input));
    assert.equal(report.verdict, "valid");
    assert.equal(report.signatures[0].level, "B-T", "the user's own copy raised too");
  });

  // ---- The same journey in English ------------------------------------------------------------
  await step("English: the window, a signature, its verification and an error, in English", async () => {
    await s.click(".lang button[lang=en]");
    await until("English title", async () => (await s.text("h1")) === "Kyso — Document signing");
    assert.equal(await s.text("[data-testid=nav-sign]"), "Sign");
    assert.match(readFileSync(join(HOME, "config.toml"), "utf8"), /lang = "en"/, "remembered in ui.lang");
    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Chữ ký Nguyễn Văn An");
    await chooseTemplate("leader");
    const input = copyOfPdf("Decision.pdf");
    await pickDocuments(input);
    await until("page rendered", async () => (await s.attr("[data-testid=preview-page-view]", "data-rendered")) === "yes", 30000);
    await s.click("[data-testid=sign-button]");
    await until("signed", async () => (await s.text("[data-testid=result-output]")) === signedPath(input), 120000);
    assertValid(signedPath(input));
    await s.screenshot("screen-sign-en.png");
    await s.click("[data-testid=result-verify]");
    await until("verdict", async () => (await s.attr("[data-testid=verify-verdict]", "data-verdict")) === "valid", 60000);
    assert.match(await s.text("[data-testid=verify-verdict]"), /[Vv]alid/);
    await s.screenshot("screen-verify-en.png");
    await nav("sign");
    const notPdf = join(work, "broken.pdf");
    writeFileSync(notPdf, "%PDF-1.7\nnot really\n");
    answer(notPdf);
    await s.click("[data-testid=pick-documents]");
    await until("the error in English", async () => (await s.attr("[data-testid=document-error-text]", "lang")) === "en");
    assert.doesNotMatch(await s.text("[data-testid=document-error-text]"), /[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]/i);
    await clearDocuments();
  });

  // ---- A provincial platform in the VNPT SDK's dialect ------------------------------------------
  await step("VDXP: the platform chosen in the settings, a signed document delivered inside its edXML, once", async () => {
    await vdxp.start();
    await nav("settings");
    await s.script(
      "const sel = document.querySelector('[data-testid=exchange-dialect]'); sel.value = 'vdxp';" +
        "sel.dispatchEvent(new Event('change', { bubbles: true })); return true;",
    );
    await until("the agency code asked", () => s.exists("[data-testid=exchange-system]"));
    await s.type("[data-testid=exchange-url]", vdxp.url);
    await s.type("[data-testid=exchange-system]", "000.00.00.H35");
    await s.type("[data-testid=exchange-secret]", "not-the-key");
    await s.click("[data-testid=exchange-save]");
    await until("a wrong key refused by the platform", () => s.exists("[data-testid=exchange-error]"), 30000);
    await s.type("[data-testid=exchange-secret]", VDXP_SECRET);
    await s.click("[data-testid=exchange-save]");
    await until("saved", () => s.exists("[data-testid=exchange-saved]"), 30000);
    const config = readFileSync(join(HOME, "config.toml"), "utf8");
    assert.match(config, /dialect = "vdxp"/);
    assert.match(config, /system_id = "000.00.00.H35"/);
    assertNoSecretOnDisk([VDXP_SECRET]);
    await s.screenshot("screen-settings-vdxp-en.png");

    await nav("sign");
    await clearDocuments();
    await chooseIdentity("Chữ ký Nguyễn Văn An");
    await chooseTemplate("invisible");
    const input = copyOfPdf("Cong van VDXP.pdf");
    await pickDocuments(input);
    await s.click("[data-testid=sign-button]");
    await until("signed", async () => (await s.text("[data-testid=result-output]")) === signedPath(input), 120000);
    await s.click("[data-testid=result-send]");
    await until("send form", () => s.exists("[data-testid=send-card] form"));
    await fillSendForm({ ...SEND_FORM, "meta-code-number": "456", "meta-subject": "Gửi qua trục VDXP" });
    await s.click("[data-testid=send-button]");
    await until("queued", () => s.exists("[data-testid=send-queued]"), 30000);
    await nav("mailbox");
    await until("delivered with no click", () => s.exists(`${outboxRow("Cong van VDXP.signed.pdf")}[data-state=sent]`), 60000);

    const sent = vdxp.packages().filter((p) => p.message_type === "edoc");
    assert.equal(sent.length, 1, "exactly one package on the platform");
    assert.equal(sent[0].from_organ_id, "000.00.00.H35");
    assert.equal(sent[0].subject, "Gửi qua trục VDXP");
    assert.deepEqual(sent[0].deliveries.map((d) => d.organ_id), ["000.01.35.H35"], "routed by To/OrganId");
    // The signed PDF itself travels inside the edXML, base64, and arrives byte for byte.
    const body = vdxp.body(sent[0].doc_id);
    const encoded = body.match(/<Attachment>[\s\S]*?ContentTransferEncoded[^>]*>([^<]+)</);
    assert.ok(encoded, "an AttachmentEncoded/Attachment in the package");
    const carried = Buffer.from(encoded[1].replace(/\s+/g, ""), "base64");
    assert.equal(
      createHash("sha256").update(carried).digest("hex"),
      createHash("sha256").update(readFileSync(signedPath(input))).digest("hex"),
      "the signed PDF, byte for byte",
    );
    assertValid(signedPath(input));
  });

  // ---- Every screen: accessible, and shown for the user guide ---------------------------------
  for (const lang of ["en", "vi"]) {
    await step(`accessibility: axe-core finds nothing serious on any screen (${lang})`, async () => {
      await s.click(`.lang button[lang=${lang}]`);
      for (const screen of ["welcome", "sign", "clerk", "mailbox", "verify", "identities", "settings"]) {
        await nav(screen);
        await new Promise((r) => setTimeout(r, 300));
        await noAccessibilityProblem(`${screen} (${lang})`);
        if (lang === "en") await s.screenshot(`screen-${screen}-en.png`);
      }
    });
  }
} finally {
  await s.end(); // always, or the app outlives tauri-driver
  await exchange.stop();
  await vdxp.stop();
  await tsa.stop();
  rmSync(work, { recursive: true, force: true });
}

console.log(`${steps.results.length - steps.failed} passed, ${steps.failed} failed`);
process.exit(steps.failed ? 1 : 0);
