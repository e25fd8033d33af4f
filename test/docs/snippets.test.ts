/**
 * Docs that run: every TypeScript snippet of README.md and docs/*.md is extracted; runnable ones
 * are type-checked (strict, like the workspace) and run with the workspace sources, and must
 * print nothing on stderr (a skipped batch warns there); excerpts must match their source file;
 * outlines must parse.
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ROOT } from "../packages/dist.js";
import { program, snippets } from "./snippets.js";

const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join("docs", f))];
const OUT = join(ROOT, "test", "artifacts", "snippets");

/** The snippet programs of every doc, written and type-checked together (one TypeScript program). */
const programs = new Map<string, string>();
let diagnostics: readonly ts.Diagnostic[] | null = null;
for (const doc of DOCS) {
  const runnable = snippets(join(ROOT, doc)).filter((s) => s.kind === "run");
  if (runnable.length === 0) continue;
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${doc.replace(/[/.]/g, "_")}.ts`);
  writeFileSync(file, program(runnable));
  programs.set(doc, file);
}

function typeErrors(file: string): string[] {
  if (diagnostics === null) {
    const config = ts.readConfigFile(join(ROOT, "tsconfig.base.json"), ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
    diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([...programs.values()], { ...options, noEmit: true, noUnusedLocals: false }));
  }
  return diagnostics.filter((d) => d.file?.fileName === file).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
    return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
  });
}

test("the docs hold snippets of every kind the runner knows", (t) => {
  const all = DOCS.flatMap((d) => snippets(join(ROOT, d)));
  t.true(all.filter((s) => s.kind === "run").length >= 3);
});

for (const doc of DOCS) {
  const all = snippets(join(ROOT, doc));
  const runnable = all.filter((s) => s.kind === "run");
  if (runnable.length > 0) {
    test.serial(`${doc}: the runnable snippets type-check and run without warnings`, (t) => {
      const file = programs.get(doc)!;
      t.deepEqual(typeErrors(file), [], `type errors in the snippets of ${doc} (program: ${file})`);
      const run = spawnSync(process.execPath, ["--import=tsx", file], {
        cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "--conditions=@vireo/source" },
      });
      t.is(run.status, 0, `the snippets of ${doc} failed when run:\n${run.stderr}`);
      t.is(run.stderr, "", `the snippets of ${doc} wrote to stderr (a warning, e.g. a skipped batch)`);
      t.not(run.stdout, "");
    });
  }
  for (const s of all.filter((x) => x.kind !== "run")) {
    test(`${doc}:${s.line}: the ${s.kind} ${s.kind === "excerpt" ? `matches ${s.source}` : "parses"}`, (t) => {
      if (s.kind === "excerpt") {
        const source = readFileSync(join(ROOT, s.source!), "utf8");
        for (const line of s.code.split("\n").filter((l) => l.trim() !== "")) t.true(source.includes(line), `not in ${s.source}: ${line}`);
      } else {
        const sf = ts.createSourceFile("outline.ts", s.code, ts.ScriptTarget.ES2022, true);
        const diagnostics = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
        t.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), []);
      }
    });
  }
}
