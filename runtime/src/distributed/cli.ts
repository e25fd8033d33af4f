/**
 * Command line for a distributed job (run with tsx, or node on the built package):
 *
 *   tsx runtime/src/distributed/cli.ts coordinator --redis redis://host:6379 --job lda
 *   tsx runtime/src/distributed/cli.ts worker      --redis redis://host:6379 --job lda --name w1
 *   tsx runtime/src/distributed/cli.ts status      --redis redis://host:6379 --job lda
 *   tsx runtime/src/distributed/cli.ts snapshots   --redis redis://host:6379 --job lda [--from 0]
 *
 * Options: --pack <module>#<export> (repeatable) adds a Pack to the registry the model is
 * rebuilt with; --events prints one JSON line per event; coordinator: --lease-ms, --max-group,
 * --snapshot-every-ms; worker: --claim-idle-ms, --delay-ms (drills). SIGTERM or SIGINT stops
 * gracefully (the coordinator releases its lease). The job itself is created in code
 * (createJob), since a model is code.
 */
import { createRegistry } from "../registry/builtin.js";
import type { Pack } from "../registry/pack.js";
import { startWorker } from "./worker.js";
import { startCoordinator } from "./coordinator.js";
import { watchSnapshots, readJobStatus } from "./observe.js";
import { connect, close } from "./redis.js";

const USAGE = "usage: cli.ts coordinator|worker|status|snapshots --redis <url> --job <name> [--name <worker>] [--pack <module>#<export>] [--events] [--lease-ms n] [--max-group n] [--snapshot-every-ms n] [--claim-idle-ms n] [--delay-ms n] [--from id]";

function parse(argv: readonly string[]): { command: string; flags: Map<string, string[]> } {
  const [command, ...rest] = argv;
  const flags = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument '${a}'\n${USAGE}`);
    const name = a.slice(2);
    const value = name === "events" ? "true" : rest[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command: command ?? "", flags };
}

async function main(): Promise<void> {
  const { command, flags } = parse(process.argv.slice(2));
  const one = (k: string, fallback?: string): string => {
    const v = flags.get(k)?.[0] ?? fallback;
    if (v === undefined) throw new Error(`--${k} is required\n${USAGE}`);
    return v;
  };
  const num = (k: string): number | undefined => (flags.has(k) ? Number(one(k)) : undefined);
  const redis = one("redis"), job = one("job");
  const packs: Pack[] = [];
  for (const spec of flags.get("pack") ?? []) {
    const [mod, name] = spec.split("#");
    const m = (await import(mod!)) as Record<string, unknown>;
    const p = m[name ?? "default"];
    if (p === undefined) throw new Error(`--pack ${spec}: module '${mod}' has no export '${name ?? "default"}'`);
    packs.push(p as Pack);
  }
  const registry = createRegistry(...packs);
  const events = flags.has("events");
  const print = (e: unknown) => {
    if (events) process.stdout.write(JSON.stringify(e, (_k, v) => (typeof v === "object" && v !== null && Buffer.isBuffer(v) ? `<${v.length} bytes>` : v)) + "\n");
  };
  let stop: (() => Promise<void>) | null = null;
  const onSignal = () => {
    if (stop) void stop().then(() => process.exit(0));
    else process.exit(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  if (command === "worker") {
    const w = await startWorker({ redis, job, name: one("name"), registry, claimIdleMs: num("claim-idle-ms"), delayMs: num("delay-ms"), onEvent: print });
    stop = w.stop;
    print({ type: "started", role: "worker", name: one("name"), pid: process.pid });
    await w.done;
  } else if (command === "coordinator") {
    const c = await startCoordinator({ redis, job, registry, leaseMs: num("lease-ms"), maxGroup: num("max-group"), snapshotEveryMs: num("snapshot-every-ms"), onEvent: print });
    stop = c.stop;
    print({ type: "started", role: "coordinator", id: c.id, pid: process.pid });
    const timer = setInterval(() => print({ type: "metrics", ...c.metrics() }), 1000);
    await c.done.finally(() => clearInterval(timer));
  } else if (command === "status") {
    const r = connect(redis, "vireo:cli");
    try {
      process.stdout.write(JSON.stringify(await readJobStatus(r, job), null, 2) + "\n");
    } finally {
      close(r);
    }
  } else if (command === "snapshots") {
    const sub = watchSnapshots({ redis, job, from: flags.get("from")?.[0] }).subscribe({
      next: (s) => process.stdout.write(JSON.stringify(s) + "\n"),
      error: (e) => {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(1);
      },
    });
    stop = async () => sub.unsubscribe();
  } else {
    throw new Error(`unknown command '${command}'\n${USAGE}`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
