/**
 * Child processes for the distributed tests: coordinators and workers started through the
 * command line (runtime/src/distributed/cli.ts --events), their JSON-line events collected.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../../runtime/src/distributed/cli.ts", import.meta.url));

export interface RoleEvent {
  readonly type: string;
  readonly [k: string]: unknown;
}

export class Role {
  readonly events: RoleEvent[] = [];
  private waiters: { pred: (e: RoleEvent) => boolean; resolve: (e: RoleEvent) => void }[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, readonly child: ChildProcess) {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim() === "") continue;
        let e: RoleEvent;
        try {
          e = JSON.parse(line) as RoleEvent;
        } catch {
          continue;
        }
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(e)) return true;
          w.resolve(e);
          return false;
        });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((res) => child.once("exit", (code) => res(code)));
  }

  /** The first event (past or future) matching `pred`. */
  waitFor(pred: (e: RoleEvent) => boolean, timeoutMs = 120_000): Promise<RoleEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export function startRole(role: "worker" | "coordinator", url: string, job: string, extra: string[] = [], name: string = role): Role {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, role, "--redis", url, "--job", job, "--events", ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  return new Role(name, child);
}

export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
