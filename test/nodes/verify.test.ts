/** Every shipped node passes the message-vs-energy verification, at random test points. */
import test from "ava";
import {
  Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Wishart, Generator,
  sampleStandardNormal, sampleGamma, sampleWishart, VireoError, type ExponentialFamily,
} from "@vireo/core";
import {
  NormalNode, MvNormalNode, GammaNode, BetaNode, DirichletNode, WishartNode, BernoulliNode, BinomialNode,
  CategoricalNode, PoissonNode, GaussianLinearNode, ScaledNormalNode, Mixture, verifyNode, assertNodeVerified,
  type NodeType, type VerifyPoint, type VerifyEdge,
} from "@vireo/nodes";

const rng = new Generator(20261121);
const N = 4;

function eye(d: number, s = 1): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) a[i * d + i] = s;
  return a;
}

/** Natural parameters of a random proper member of `f` for `count` instances. */
function randomEta(f: ExponentialFamily, count: number): Float64Array {
  const out = new Float64Array(count * f.size);
  for (let i = 0; i < count; i++) {
    let eta: Float64Array;
    const d = f.dim;
    switch (f.name) {
      case "Normal": eta = f.toNatural({ mean: sampleStandardNormal(rng), variance: sampleGamma(rng, 2) }); break;
      case "Gamma": eta = f.toNatural({ shape: sampleGamma(rng, 3), rate: sampleGamma(rng, 3) }); break;
      case "Beta": eta = f.toNatural({ alpha: sampleGamma(rng, 3), beta: sampleGamma(rng, 3) }); break;
      case "Bernoulli": eta = Float64Array.of(sampleStandardNormal(rng)); break;
      case "Categorical": eta = Float64Array.from({ length: d }, () => sampleStandardNormal(rng)); break;
      case "Dirichlet": eta = Float64Array.from({ length: d }, () => sampleGamma(rng, 2)); break;
      case "MvNormal": eta = f.toNatural({ mean: Float64Array.from({ length: d }, () => sampleStandardNormal(rng)), covariance: sampleWishart(rng, d + 3, eye(d, 0.3), d) }); break;
      case "Wishart": eta = f.toNatural({ df: d + 1 + sampleGamma(rng, 3), scale: sampleWishart(rng, d + 3, eye(d, 0.3), d) }); break;
      default: throw new Error(f.name);
    }
    out.set(eta, i * f.size);
  }
  return out;
}

const rand = (f: ExponentialFamily, count = 1): VerifyEdge => ({ family: f, eta: randomEta(f, count), count });
const known = (f: ExponentialFamily | null, values: number[], count = 1): VerifyEdge => ({ family: f, values: Float64Array.from(values), count });
const rowsOf = <T>(n: number, f: (i: number) => T[]): T[] => Array.from({ length: n }, (_, i) => f(i)).flat();

const weights = Float64Array.from({ length: N }, () => sampleGamma(rng, 2));
const d = 3, K = 4;

const cases: [string, NodeType, VerifyPoint][] = [
  ["Normal, all random, plate rows", NormalNode, { rows: N, edges: { out: rand(Normal, N), mean: rand(Normal), precision: rand(Gamma) } }],
  ["Normal, observed out, weighted", NormalNode, { rows: N, weights, edges: { out: known(Normal, [0.3, -1, 2, 0.5], N), mean: rand(Normal), precision: rand(Gamma) } }],
  ["ScaledNormal", ScaledNormalNode, { rows: N, edges: { out: rand(Normal, N), mean: rand(Normal), precision: rand(Gamma), scale: known(null, [0.7]) } }],
  ["MvNormal d=3", MvNormalNode, { rows: N, edges: { out: rand(MvNormal(d), N), mean: rand(MvNormal(d)), precision: rand(Wishart(d)) } }],
  ["MvNormal observed", MvNormalNode, { rows: N, edges: { out: known(MvNormal(d), rowsOf(N, (i) => [i, -i, 0.5 * i]), N), mean: rand(MvNormal(d)), precision: rand(Wishart(d)) } }],
  ["Gamma with random rate", GammaNode, { rows: N, edges: { out: rand(Gamma, N), shape: known(null, [2.5]), rate: rand(Gamma) } }],
  ["Beta prior", BetaNode, { rows: 1, edges: { out: rand(Beta), a: known(null, [2]), b: known(null, [3]) } }],
  ["Dirichlet prior", DirichletNode, { rows: 2, edges: { out: rand(Dirichlet(K), 2), alpha: known(null, [1, 2, 3, 0.5]) } }],
  ["Wishart prior", WishartNode, { rows: 1, edges: { out: rand(Wishart(d)), df: known(null, [5]), scale: known(null, Array.from(eye(d, 0.5))) } }],
  ["Bernoulli latent", BernoulliNode, { rows: N, edges: { out: rand(Bernoulli, N), p: rand(Beta) } }],
  ["Bernoulli observed", BernoulliNode, { rows: N, edges: { out: known(Bernoulli, [0, 1, 1, 0], N), p: rand(Beta) } }],
  ["Binomial", BinomialNode, { rows: N, edges: { out: known(null, [0, 3, 5, 2], N), trials: known(null, [4, 3, 9, 2], N), p: rand(Beta) } }],
  ["Categorical latent", CategoricalNode, { rows: N, edges: { out: rand(Categorical(K), N), p: rand(Dirichlet(K)) } }],
  ["Categorical observed", CategoricalNode, { rows: N, edges: { out: known(Categorical(K), [0, 3, 1, 3], N), p: rand(Dirichlet(K)) } }],
  ["Categorical indexed p", CategoricalNode, { rows: N, edges: { out: rand(Categorical(K), N), p: { ...rand(Dirichlet(K), 2), layout: "indexed", index: Int32Array.of(0, 1, 1, 0) } } }],
  ["Poisson", PoissonNode, { rows: N, edges: { out: known(Poisson, [0, 4, 2, 7], N), rate: rand(Gamma) } }],
  ["GaussianLinear", GaussianLinearNode, { rows: N, edges: { out: rand(Normal, N), w: rand(MvNormal(d)), x: known(null, rowsOf(N, (i) => [1, i, -0.5 * i]), N), precision: rand(Gamma) } }],
  ["GaussianLinear observed y", GaussianLinearNode, { rows: N, edges: { out: known(Normal, [1, 2, 3, 4], N), w: rand(MvNormal(d)), x: known(null, rowsOf(N, (i) => [1, i, i * i]), N), precision: rand(Gamma) } }],
  ["Mixture of MvNormal", Mixture(MvNormalNode, ["mean", "precision"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: known(MvNormal(d), rowsOf(N, (i) => [i, 1 - i, 0.2]), N), mean: rand(MvNormal(d), K), precision: rand(Wishart(d), K) } }],
  ["Mixture of Normal, tied precision", Mixture(NormalNode, ["mean"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: rand(Normal, N), mean: rand(Normal, K), precision: rand(Gamma) } }],
  ["Mixture of Poisson", Mixture(PoissonNode, ["rate"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: known(Poisson, [1, 0, 5, 2], N), rate: rand(Gamma, K) } }],
  ["Mixture of Categorical (LDA word node)", Mixture(CategoricalNode, ["p"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: known(Categorical(5), [0, 4, 2, 2], N), p: rand(Dirichlet(5), K) } }],
];

for (const [title, node, point] of cases) {
  test(`verification: ${title}`, (t) => {
    const report = verifyNode(node, point);
    for (const e of report.edges) t.true(e.passed, `${title}, edge ${e.edge}: max relative error ${e.maxRelError}`);
    t.true(report.edges.length > 0);
    t.true(report.passed);
  });
}

test("verification catches a wrong message rule and names the edge", (t) => {
  const broken: NodeType = {
    ...NormalNode,
    name: "BrokenNormal",
    messages: {
      ...NormalNode.messages,
      precision(ctx, out) {
        NormalNode.messages.precision!(ctx, out);
        out[1] *= 1.01; // a 1% error in one coefficient
      },
    },
  };
  const point: VerifyPoint = { rows: 1, edges: { out: rand(Normal), mean: rand(Normal), precision: rand(Gamma) } };
  const report = verifyNode(broken, point);
  t.false(report.passed);
  t.deepEqual(report.edges.filter((e) => !e.passed).map((e) => e.edge), ["precision"]);
  const err = t.throws(() => assertNodeVerified(broken, point), { instanceOf: VireoError });
  t.is(err!.code, "INVALID_NODE");
  t.regex(err!.message, /BrokenNormal.*edge 'precision'/);
});

test("a node without a message rule for one of its edges fails verification on that edge", (t) => {
  const { mean: _dropped, ...rest } = NormalNode.messages;
  const partial: NodeType = { ...NormalNode, name: "PartialNormal", messages: rest };
  const report = verifyNode(partial, { rows: 1, edges: { out: rand(Normal), mean: rand(Normal), precision: rand(Gamma) } });
  t.deepEqual(report.edges.filter((e) => !e.passed).map((e) => e.edge), ["mean"]);
  const err = t.throws(() => assertNodeVerified(partial, { rows: 1, edges: { out: rand(Normal), mean: rand(Normal), precision: rand(Gamma) } }), { instanceOf: VireoError });
  t.regex(err!.message, /edge 'mean': no message rule/);
});

test("gathered messages (the engine's LDA fast path) are checked against the message rules", (t) => {
  const gathered = cases.filter(([title]) => ["Categorical latent", "Categorical indexed p", "Mixture of Categorical (LDA word node)"].includes(title));
  t.is(gathered.length, 3);
  for (const [title, node, point] of gathered) {
    const claims = verifyNode(node, point).claims.filter((c) => c.claim === "gatheredMessage");
    t.deepEqual(claims.map((c) => c.edge), [title.startsWith("Mixture") ? "selector" : "out"], title);
    t.true(claims.every((c) => c.passed && c.error < 1e-12), title);
  }
  // A gather that reads the wrong table entries fails, naming the edge.
  const broken: NodeType = {
    ...CategoricalNode,
    name: "BrokenGather",
    gatheredMessage(ctx, edge) {
      const g = CategoricalNode.gatheredMessage!(ctx, edge);
      return g === null ? null : { ...g, kStride: 0 };
    },
  };
  const point: VerifyPoint = { rows: N, edges: { out: rand(Categorical(K), N), p: rand(Dirichlet(K)) } };
  const report = verifyNode(broken, point);
  t.false(report.passed);
  t.deepEqual(report.claims.filter((c) => !c.passed).map((c) => [c.claim, c.edge]), [["gatheredMessage", "out"]]);
  t.throws(() => assertNodeVerified(broken, point), { message: /gathered message to 'out' differs/ });
});
