/**
 * Run in a fresh process by the checkpoint tests: loads a checkpoint file with a fresh registry,
 * continues the CAVI run and prints the bits of every later ELBO and of the final posteriors.
 */
import { createRegistry, resumeCavi } from "@vireo/runtime";
import { loadCheckpoint } from "@vireo/runtime/node";
import { studentTPack } from "@vireo/plugins";
import { studentTModel, bits } from "./models.js";

const [path, more] = process.argv.slice(2);
const { data } = studentTModel();
const { engine } = resumeCavi(loadCheckpoint(path!, createRegistry(studentTPack)), data);
const elbo: string[] = [];
for (let i = 0; i < Number(more); i++) elbo.push(bits(engine.sweep()));
const posteriors = engine.state.random.map((v) => Array.from(v.eta, bits).join(","));
process.stdout.write(JSON.stringify({ elbo, posteriors }));
