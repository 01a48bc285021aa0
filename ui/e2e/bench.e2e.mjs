// The desktop app's performance, measured through the real app (run by scripts/bench.py as
// part of `make bench`, inside scripts/desktop-e2e.sh's session: Xvfb, a real keyring, the
// reference exchange). Times are taken inside the webview where WebDriver would add its own
// latency (a click and the DOM change it causes are both timed by the page itself). Writes
// one JSON object to KYSO_BENCH_OUT.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, WebDriver, until } from "./webdriver.mjs";
import { exchange as exchangeServer } from "./services.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
};
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = realpathSync(env("KYSO_DESKTOP_BIN"));
const KYSO = env("KYSO_E2E_KYSO_BIN");
const PKI = realpathSync(env("KYSO_E2E_PKI"));
const BIG = realpathSync(env("KYSO_BENCH_BIG_PDF"));
const RUNS = Number(process.env.KYSO_BENCH_RUNS ?? 5);
const DIALOGS = env("KYSO_TEST_DIALOGS");
const answer = (...paths) => writeFileSync(join(DIALOGS, "pick"), paths.join("\n") + "\n");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const work = mkdtempSync(join(tmpdir(), "kyso-bench-"));
const sample = join(REPO, "assets", "samples", "van-ban-mau.pdf");
const copy = (from, name) => {
  const path = join(work, name);
  writeFileSync(path, readFileSync(from));
  return path;
};

// An administrator's set-up, with the CLI: the exchange, its secret, a vault identity
// without a PIN, its signature image; the sync polls every two minutes as by default.
const exchange = exchangeServer({
  bin: env("KYSO_E2E_EXCHANGE_BIN"),
  config: env("KYSO_E2E_EXCHANGE_CONFIG"),
  db: env("KYSO_E2E_EXCHANGE_DB"),
  port: env("KYSO_E2E_EXCHANGE_PORT"),
});
await exchange.start();
const kyso = (args, extraEnv = {}) => execFileSync(KYSO, args, { encoding: "utf8", env: { ...process.env, ...extraEnv } });
kyso(["config", "set", "sync.poll-seconds", "120"]);
kyso(["config", "set", "exchange.url", exchange.url]);
kyso(["config", "set", "exchange.client-id", "e2e"]);
kyso(["login"], { KYSO_EXCHANGE_SECRET: "e2e-bí-mật" });
kyso(["id", "import", join(PKI, "signer-modern.p12"), "--password-file", join(PKI, "p12-password.txt")]);
kyso(["config", "set", "appearance.image", join(REPO, "assets", "images", "sample-signature.png")]);

const driver = new WebDriver(process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444");

/** The app's processes: the shell and WebKit's web and network processes under it. */
function appProcesses() {
  const pids = execFileSync("pgrep", ["-f", `^${BIN}`], { encoding: "utf8" }).split("\n").filter(Boolean);
  const all = new Set(pids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const pid of [...all]) {
      let children = "";
      try {
        children = execFileSync("pgrep", ["-P", pid], { encoding: "utf8" });
      } catch {
        continue;
      }
      for (const c of children.split("\n").filter(Boolean)) if (!all.has(c)) (all.add(c), (grew = true));
    }
  }
  return { shell: pids, all: [...all] };
}
/** The sum of a /proc/PID/status field (kB) over `pids`, in MiB. */
const statusMiB = (pids, field) =>
  pids.reduce((sum, pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return sum + Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    } catch {
      return sum;
    }
  }, 0);
const rssMiB = (pids) => statusMiB(pids, "VmRSS");
/** When process `pid` started, in ms since the epoch (/proc/PID/stat field 22, /proc/stat btime). */
function startedAt(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]);
  const btime = Number(/btime (\d+)/.exec(readFileSync("/proc/stat", "utf8"))[1]);
  const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
  return btime * 1000 + (ticks / hz) * 1000;
}
function stopApp() {
  try {
    execFileSync("pkill", ["-f", `^${BIN}`]);
  } catch {
    // Already gone.
  }
}

const results = {};
try {
  // ---- Cold start to an interactive first screen -------------------------------------------
  const starts = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await Session.start(driver, BIN, tmpdir());
    await until("the window", () => s.exists("[data-testid=nav-sign]"), 30000);
    const [pid] = appProcesses().shell;
    // The page is interactive once its module ran and mounted the app: DOMContentLoaded
    // (module scripts run before it). Measured from the process's start.
    const interactive = await s.script(
      "const n = performance.getEntriesByType('navigation')[0];" +
        "return performance.timeOrigin + (n ? n.domContentLoadedEventEnd : performance.now());",
    );
    starts.push(interactive - startedAt(pid));
    await s.end();
    stopApp();
    await new Promise((r) => setTimeout(r, 500));
  }
  results.coldStartMs = { median: median(starts), runs: starts };

  const s = await Session.start(driver, BIN, tmpdir());
  await until("the sign screen", async () => (await s.attr("[data-testid=nav-sign]", "aria-current")) === "page", 30000);
  await until("the identity", () => s.exists("[data-testid=sign-with] option"), 30000);

  /** The app's memory once the background sync reached the exchange and things settled. */
  const idleMemory = async () => {
    await s.click("[data-testid=nav-mailbox]");
    await until("the sync ran", async () => (await s.attr("[data-testid=sync-connection]", "data-connection")) === "online", 30000);
    await new Promise((r) => setTimeout(r, 15000));
    const procs = appProcesses();
    await s.click("[data-testid=nav-sign]");
    return {
      shell: rssMiB(procs.shell),
      // What the shell allocated itself, apart from the libraries' pages it shares.
      shellAnon: statusMiB(procs.shell, "RssAnon"),
      withWebview: rssMiB(procs.all),
      processes: procs.all.length,
    };
  };

  // ---- Memory of the idle app with the sync running, as an official leaves it after start ----
  results.idleRssMiB = await idleMemory();

  /** Clicks `css` inside the page and resolves with the ms until `doneCss` matches. */
  const timeInPage = (css, doneCss, timeoutMs = 120000) =>
    s.scriptAsync(
      "const [css, doneCss, timeoutMs, done] = arguments;" +
        "const t0 = performance.now();" +
        "const check = () => { if (document.querySelector(doneCss)) { done(performance.now() - t0); return true; } return false; };" +
        "const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });" +
        "obs.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });" +
        "setTimeout(() => { obs.disconnect(); done(-1); }, timeoutMs);" +
        "document.querySelector(css).click();",
      css,
      doneCss,
      timeoutMs,
    );
  /** Empties the list (once the last signing is over: the list is locked while it runs). */
  const clear = () =>
    until(
      "the list empty",
      async () =>
        s.script(
          "if (document.querySelector('[data-testid=batch-progress]')) return false;" +
            "const c = document.querySelector('[data-testid=clear-documents]'); if (c) c.click();" +
            "const x = document.querySelector('[data-testid=document] button.icon'); if (x) x.click();" +
            "return !document.querySelector('[data-testid=document]');",
        ),
      60000,
    );

  // ---- Click "Ký" to signed: one page, vault identity without PIN ---------------------------
  const signs = { leader: [], invisible: [] };
  for (const template of ["leader", "invisible"]) {
    await s.script(
      "const sel = document.querySelector('[data-testid=template]'); sel.value = arguments[0];" +
        "sel.dispatchEvent(new Event('change', { bubbles: true })); return true;",
      template,
    );
    for (let i = 0; i < RUNS; i++) {
      await clear();
      const input = copy(sample, `${template}-${i}.pdf`);
      answer(input);
      await s.click("[data-testid=pick-documents]");
      await until("listed", () => s.exists("[data-testid=document]"));
      if (template === "leader") await until("the box", () => s.exists("[data-testid=signature-box]"), 30000);
      const ms = await timeInPage("[data-testid=sign-button]", "[data-testid=result-output]");
      if (ms < 0) throw new Error(`signing ${input} did not end`);
      signs[template].push(ms);
    }
  }
  results.signClickMs = {
    leader: { median: median(signs.leader), runs: signs.leader },
    invisible: { median: median(signs.invisible), runs: signs.invisible },
  };

  // ---- The first page of the 2000-page file in the preview ----------------------------------
  const firstPage = [];
  for (let i = 0; i < RUNS; i++) {
    await clear();
    answer(BIG);
    const ms = await timeInPage("[data-testid=pick-documents]", "[data-testid=preview-page-view][data-rendered=yes]");
    if (ms < 0) throw new Error("the 2000-page file's first page never showed");
    firstPage.push(ms);
  }
  results.bigFirstPageMs = { median: median(firstPage), runs: firstPage };

  // ---- The UI while 200 files sign: the longest gap of a timer in the webview --------------
  await clear();
  const folder = mkdtempSync(join(work, "batch-"));
  const many = Array.from({ length: 200 }, (_, i) => {
    const p = join(folder, `vb-${String(i).padStart(3, "0")}.pdf`);
    writeFileSync(p, readFileSync(sample));
    return p;
  });
  answer(...many);
  await s.click("[data-testid=pick-documents]");
  await until("200 listed", async () => (await s.text("[data-testid=sign-all]")).includes("200"), 60000);
  const batch = await s.scriptAsync(
    "const done = arguments[arguments.length - 1];" +
      "let last = performance.now(), worst = 0; const t0 = last; const slow = [];" +
      "const timer = setInterval(() => { const now = performance.now(); const gap = now - last;" +
      "  if (gap > 50) slow.push([Math.round(last - t0), Math.round(gap)]); worst = Math.max(worst, gap); last = now; }, 10);" +
      "const obs = new MutationObserver(() => {" +
      "  if (Number(document.querySelector('[data-testid=results]')?.dataset.count ?? 0) >= 200 && !document.querySelector('[data-testid=batch-progress]')) {" +
      "    obs.disconnect(); clearInterval(timer); done({ worstGapMs: worst, totalMs: performance.now() - t0, slowGaps: slow }); } });" +
      "obs.observe(document.body, { subtree: true, childList: true, attributes: true });" +
      "setTimeout(() => { obs.disconnect(); clearInterval(timer); done({ worstGapMs: worst, totalMs: -1 }); }, 600000);" +
      "document.querySelector('[data-testid=sign-all]').click();",
  );
  if (batch.totalMs < 0) throw new Error("the batch of 200 did not end");
  results.batch200 = batch;
  const signed = readdirSync(folder).filter((n) => n.endsWith(".signed.pdf")).length;
  if (signed !== 200) throw new Error(`${signed} of 200 signed`);

  // ---- The same once the work above is done (the list emptied) ------------------------------
  await clear();
  results.afterWorkRssMiB = await idleMemory();
  await s.end();
} finally {
  stopApp();
  await exchange.stop();
  rmSync(work, { recursive: true, force: true });
}

writeFileSync(env("KYSO_BENCH_OUT"), JSON.stringify(results, null, 2));
console.log(JSON.stringify(results));
