// The dashboard page: follows /events (Server-Sent Events) and plots the ELBO and posterior means
// with uPlot (loaded before this module as the global `uPlot`). No inline code, no eval: it runs
// under `script-src 'self'`. The plotted data stay on `window.vireoDashboard` for inspection.
const colours = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6"];
const state = { steps: [], elbo: [], values: [], series: [], elboPlot: null, posteriorPlot: null, dirty: false };
window.vireoDashboard = state;

const width = () => Math.min(900, document.body.clientWidth - 20);

function setStatus(text, kind) {
  const el = document.getElementById("state");
  el.textContent = text;
  el.setAttribute("data-state", kind);
}

function build() {
  document.getElementById("elbo-plot").replaceChildren();
  document.getElementById("posterior-plot").replaceChildren();
  state.elboPlot = new uPlot({
    title: "ELBO per step", width: width(), height: 240,
    scales: { x: { time: false } },
    series: [{ label: "step" }, { label: "ELBO", stroke: colours[0], width: 2 }],
  }, [state.steps, state.elbo], document.getElementById("elbo-plot"));
  if (state.series.length > 0) {
    state.posteriorPlot = new uPlot({
      title: "Posterior means", width: width(), height: 260,
      scales: { x: { time: false } },
      series: [{ label: "step" }, ...state.series.map((name, i) => ({ label: name, stroke: colours[i % colours.length], width: 2 }))],
    }, [state.steps, ...state.values], document.getElementById("posterior-plot"));
  }
}

function add(point) {
  state.steps.push(point.step);
  state.elbo.push(point.elbo);
  point.values.forEach((v, i) => state.values[i].push(v));
}

// Redraw at most once per frame however fast snapshots arrive.
function redraw() {
  if (!state.dirty) return;
  state.dirty = false;
  state.elboPlot.setData([state.steps, state.elbo]);
  if (state.posteriorPlot) state.posteriorPlot.setData([state.steps, ...state.values]);
  const n = state.steps.length;
  const step = document.getElementById("step"), elbo = document.getElementById("elbo"), points = document.getElementById("points");
  if (n > 0) {
    step.textContent = String(state.steps[n - 1]);
    step.setAttribute("data-step", String(state.steps[n - 1]));
    elbo.textContent = state.elbo[n - 1].toFixed(3);
    elbo.setAttribute("data-elbo", String(state.elbo[n - 1]));
  }
  points.textContent = String(state.elboPlot.data[0].length);
  points.setAttribute("data-points", String(state.elboPlot.data[0].length));
}

function schedule() {
  if (state.dirty) return;
  state.dirty = true;
  requestAnimationFrame(redraw);
}

const events = new EventSource("events");
events.addEventListener("meta", (e) => {
  const meta = JSON.parse(e.data);
  if (meta.series.length !== state.series.length) {
    state.series = meta.series;
    state.values = meta.series.map((_, i) => state.values[i] ?? state.steps.map(() => NaN));
    build();
  }
});
events.addEventListener("history", (e) => {
  state.steps.length = 0;
  state.elbo.length = 0;
  state.values.forEach((v) => (v.length = 0));
  for (const p of JSON.parse(e.data)) add(p);
  setStatus("live", "live");
  schedule();
});
events.addEventListener("snapshot", (e) => {
  add(JSON.parse(e.data));
  schedule();
});
events.addEventListener("end", () => {
  setStatus("stream completed", "ended");
  events.close();
  schedule();
});
events.addEventListener("failure", (e) => {
  setStatus(`stream failed: ${JSON.parse(e.data).message}`, "failed");
  events.close();
});
if (!state.elboPlot) build();
