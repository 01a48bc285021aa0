// The real services the journeys talk to, started and stopped by the run itself so that an
// "offline" step can take them down and bring them back on the same address: the reference
// exchange (kyso-exchange) and a time-stamping authority backed by `openssl ts`
// (tests/tsa/tsa_server.py), plus the peer validators the signed files are judged by.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A server process started on a fixed port; `stop()` kills it, `start()` brings it back. */
class Server {
  constructor(name, command, args, ready) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.ready = ready;
    this.child = null;
    this.log = "";
  }

  async start() {
    if (this.child) return;
    const child = spawn(this.command, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let seen = "";
    const ready = new Promise((resolve, reject) => {
      const look = (chunk) => {
        seen += chunk.toString();
        this.log = (this.log + chunk.toString()).slice(-4000);
        if (this.ready.test(seen)) resolve();
      };
      child.stdout.on("data", look);
      child.stderr.on("data", look);
      child.once("exit", (code) => reject(new Error(`${this.name} exited (${code}): ${seen.slice(-2000)}`)));
    });
    const timeout = new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${this.name} did not start: ${seen.slice(-2000)}`)), 20000),
    );
    await Promise.race([ready, timeout]);
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }
}

/** The reference exchange on `port`, with the clients and trust of `config`. */
export function exchange({ bin, config, db, port }) {
  const server = new Server("kyso-exchange", bin, ["serve", "--addr", `127.0.0.1:${port}`, "--db", db, "--config", config], /listening on /);
  return Object.assign(server, {
    url: `http://127.0.0.1:${port}`,
    /** The documents it received (its own CLI over its database). */
    documents() {
      return JSON.parse(execFileSync(bin, ["documents", "--json", "--db", db], { encoding: "utf8" }));
    },
    /** The recipient's status for a receipt (03 registered, 02 refused…). */
    setStatus(receipt, code, description) {
      execFileSync(bin, ["set-status", "--db", db, receipt, code, description, "--staff", "Văn thư Sở"], { encoding: "utf8" });
    },
  });
}

/**
 * The double of a VDXP platform (`kyso-exchange serve --dialect vdxp`) on `port`: the VNPT
 * SDK's wire format, each request's HMAC checked, packages routed by their edXML.
 */
export function vdxpPlatform({ bin, config, db, port }) {
  const server = new Server("kyso-exchange (vdxp)", bin, ["serve", "--dialect", "vdxp", "--addr", `127.0.0.1:${port}`, "--db", db, "--config", config], /listening on /);
  return Object.assign(server, {
    url: `http://127.0.0.1:${port}`,
    /** The packages it holds, with their deliveries (`kyso-exchange packages`). */
    packages() {
      return JSON.parse(execFileSync(bin, ["packages", "--db", db], { encoding: "utf8" }));
    },
    /** The edXML body of a package, as the platform stored it. */
    body(docId) {
      return readFileSync(join(`${db}.blobs`, "packages", docId), "utf8");
    },
  });
}

/** The test TSA (tests/tsa/tsa_server.py over tests/tsa/make-tsa.sh's DIR) on `port`. */
export function tsa({ python, script, dir, port }) {
  const server = new Server("tsa", python, [script, dir, "--port", String(port), "--quiet"], /^\d+\s*$/m);
  return Object.assign(server, { url: `http://127.0.0.1:${port}/` });
}

/** The peer validators: pyHanko, and Kyso's own CLI. Each throws with its output unless valid. */
export function validators({ kyso, pyhanko, root }) {
  return {
    kyso(file) {
      try {
        return JSON.parse(execFileSync(kyso, ["verify", "--offline", "--trust", root, "--json", file], { encoding: "utf8" }));
      } catch (e) {
        throw new Error(`kyso verify ${file}: exit ${e.status}\n${e.stdout}`);
      }
    },
    /** pyHanko's verdict of every signature: INTACT:TRUSTED, and the changes it found. */
    pyhanko(file) {
      try {
        return execFileSync(pyhanko, ["sign", "validate", "--trust", root, "--trust-replace", file], {
          encoding: "utf8",
        });
      } catch (e) {
        throw new Error(`pyhanko sign validate ${file}: exit ${e.status}\n${e.stdout}\n${e.stderr}`);
      }
    },
  };
}
