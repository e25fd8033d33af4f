/**
 * Serves the browser example: bundles page.ts with esbuild (browser platform, minified, no Node
 * built-ins allowed) and serves it with the Old Faithful data under a strict content-security
 * policy: scripts only from this origin, no inline code, no eval (`new Function` included).
 *
 * Run: npx -y pnpm@10.34.9 example browser   (then open the printed address)
 */
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** No eval, no inline script or style: what a careful site sends. */
export const STRICT_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

/** Bundles an entry for the browser; Node built-ins are refused, sources resolve through @vireo/source. */
export async function bundle(entry: string, options: { minify?: boolean } = {}): Promise<string> {
  const out = await build({
    entryPoints: [entry], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022",
    conditions: ["@vireo/source"], minify: options.minify ?? true, legalComments: "none", logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

export interface RunningExample {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the page's server on `port` (0: any free port) at 127.0.0.1. */
export async function startBrowserExample(port = 0): Promise<RunningExample> {
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", readFileSync(here("./index.html"), "utf8")],
    "/style.css": ["text/css; charset=utf-8", readFileSync(here("./style.css"), "utf8")],
    "/page.js": ["text/javascript; charset=utf-8", await bundle(here("./page.ts"))],
    "/faithful.csv": ["text/csv; charset=utf-8", readFileSync(here("../data/faithful.csv"), "utf8")],
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const file = files[path];
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (!file) {
      res.writeHead(404, { "content-security-policy": STRICT_CSP }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file[0], "content-security-policy": STRICT_CSP, "cache-control": "no-store" }).end(file[1]);
  });
  await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    close: () => new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok()))),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const running = await startBrowserExample(Number(process.env.PORT ?? 8080));
  console.log(`Vireo browser example at ${running.url} (strict CSP: ${STRICT_CSP}). Ctrl-C stops it.`);
}
