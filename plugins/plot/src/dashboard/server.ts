/**
 * A live posterior dashboard: serves a page (node:http) that follows a running stream's snapshots
 * over Server-Sent Events and plots the ELBO and posterior means as they arrive (uPlot). Any
 * Observable of snapshots works: svi(), online(), a distributed coordinator's stream.
 *
 * The server subscribes once, keeps the history (bounded), replays it to each page that connects
 * and then forwards every new snapshot. Served under a strict CSP (no inline code, no eval).
 */
import { createServer, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Observable, Subscription } from "rxjs";
import { VireoError } from "@vireo/core";

/** What the dashboard reads from a snapshot (SnapshotBase of @vireo/runtime has these fields). */
export interface DashboardSnapshot {
  readonly step: number;
  readonly elbo: number;
  readonly posteriors?: Readonly<Record<string, { readonly mean: readonly number[] }>>;
}

export interface DashboardOptions {
  /** Port (default 0: any free port) and host (default 127.0.0.1). */
  readonly port?: number;
  readonly host?: string;
  readonly title?: string;
  /** Variables whose posterior means are plotted (default: every summary in the first snapshot). */
  readonly variables?: readonly string[];
  /** At most this many posterior-mean series are plotted (default 8). */
  readonly maxSeries?: number;
  /** Snapshots kept for pages that connect later (default 100 000; older ones are dropped). */
  readonly history?: number;
}

export interface Dashboard {
  readonly url: string;
  /** Snapshots received so far. */
  readonly received: number;
  /** Stops following the stream, ends every page's event stream and closes the server. */
  close(): Promise<void>;
}

/** A CSP that allows only this origin's scripts, styles and event stream. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

interface Point {
  readonly step: number;
  readonly elbo: number;
  readonly values: readonly number[];
}

const staticFile = (name: string) => readFileSync(fileURLToPath(new URL(`../../static/${name}`, import.meta.url)), "utf8");

function uplotFile(name: string): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`uplot/dist/${name}`), "utf8");
}

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function serveDashboard(snapshots$: Observable<DashboardSnapshot>, options: DashboardOptions = {}): Promise<Dashboard> {
  const maxSeries = options.maxSeries ?? 8;
  const historyLimit = options.history ?? 100_000;
  if (!(Number.isInteger(historyLimit) && historyLimit >= 1)) throw new VireoError("INVALID_OPTION", `serveDashboard: history must be a positive integer, got ${historyLimit}.`);
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", staticFile("dashboard.html").replaceAll("{{title}}", escapeHtml(options.title ?? "Vireo live posterior"))],
    "/dashboard.js": ["text/javascript; charset=utf-8", staticFile("dashboard.js")],
    "/dashboard.css": ["text/css; charset=utf-8", staticFile("dashboard.css")],
    "/uPlot.iife.min.js": ["text/javascript; charset=utf-8", uplotFile("uPlot.iife.min.js")],
    "/uPlot.min.css": ["text/css; charset=utf-8", uplotFile("uPlot.min.css")],
  };

  let series: { name: string; variable: string; index: number }[] | null = null;
  const history: Point[] = [];
  const clients = new Set<ServerResponse>();
  let received = 0;
  let ended: { kind: "end" } | { kind: "failure"; message: string } | null = null;
  const meta = () => ({ title: options.title ?? "Vireo live posterior", series: (series ?? []).map((s) => s.name) });

  function toPoint(s: DashboardSnapshot): Point {
    if (series === null) {
      const names = options.variables ?? Object.keys(s.posteriors ?? {});
      series = [];
      for (const v of names) {
        const mean = s.posteriors?.[v]?.mean;
        if (!mean) throw new VireoError("INVALID_OPTION", `serveDashboard: variable '${v}' has no posterior summary in the snapshots; pass summaries that include it to the stream operator, or pick from: ${Object.keys(s.posteriors ?? {}).join(", ") || "(none)"}.`);
        for (let i = 0; i < mean.length && series.length < maxSeries; i++) series.push({ name: mean.length === 1 ? v : `${v}[${i}]`, variable: v, index: i });
      }
      for (const c of clients) send(c, "meta", meta());
    }
    return { step: s.step, elbo: s.elbo, values: series.map((x) => s.posteriors?.[x.variable]?.mean[x.index] ?? Number.NaN) };
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "content-security-policy": DASHBOARD_CSP });
      send(res, "meta", meta());
      // History in one message, then live points one by one.
      send(res, "history", history);
      if (ended) send(res, ended.kind, ended);
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    const file = files[path];
    if (path === "/favicon.ico") return void res.writeHead(204).end();
    if (!file) return void res.writeHead(404, { "content-security-policy": DASHBOARD_CSP }).end("not found");
    res.writeHead(200, { "content-type": file[0], "content-security-policy": DASHBOARD_CSP, "cache-control": "no-store" }).end(file[1]);
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", ok));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port ?? 0;

  const subscription: Subscription = snapshots$.subscribe({
    next: (s) => {
      let p: Point;
      try {
        p = toPoint(s);
      } catch (e) {
        ended = { kind: "failure", message: e instanceof Error ? e.message : String(e) };
        for (const c of clients) send(c, "failure", ended);
        subscription?.unsubscribe();
        return;
      }
      received++;
      history.push(p);
      if (history.length > historyLimit) history.splice(0, history.length - historyLimit);
      for (const c of clients) send(c, "snapshot", p);
    },
    error: (e: unknown) => {
      ended = { kind: "failure", message: e instanceof Error ? e.message : String(e) };
      for (const c of clients) send(c, "failure", ended);
    },
    complete: () => {
      ended = { kind: "end" };
      for (const c of clients) send(c, "end", ended);
    },
  });

  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}/`,
    get received() {
      return received;
    },
    close: () => {
      subscription.unsubscribe();
      for (const c of clients) c.end();
      clients.clear();
      return new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok())));
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
