# Stan's ADVI (rstan::vb) as the bench's black-box VI peer (run by peers/r.ts).
#
# Reads one JSON workload on stdin: { model, X (row-major N x D), y, N, D, s0, gradSamples, eta,
# short, long, repeats, seed } and prints one JSON object on stdout. The model is compiled once into
# a cache folder ($VIREO_BENCH_CACHE, default ~/.cache/vireo-bench) and reused while its text is
# unchanged. Per-step time: full-rank ADVI with `gradSamples` draws per gradient, step-size adaptation
# off (fixed eta), run for `short` and for `long` iterations; the difference of the two wall times over
# long - short is the time of one step (set-up, output draws and the final summary cancel). Stan's
# own ELBO evaluation (100 draws every 100 iterations, its defaults) stays inside the step time.
suppressMessages({
  library(rstan)
  library(jsonlite)
})
w <- fromJSON(file("stdin"))
cache <- Sys.getenv("VIREO_BENCH_CACHE", file.path(Sys.getenv("HOME"), ".cache", "vireo-bench"))
dir.create(cache, recursive = TRUE, showWarnings = FALSE)
source_file <- file.path(cache, basename(w$model))
text <- readLines(w$model)
if (!file.exists(source_file) || !identical(readLines(source_file), text)) writeLines(text, source_file)
rstan_options(auto_write = TRUE)
# Debian's r-cran-bh ships no include folder (its headers are libboost-dev's, in /usr/include).
boost <- system.file("include", package = "BH")
if (boost == "") boost <- "/usr/include"
compiled <- stan_model(source_file, boost_lib = boost)
X <- matrix(w$X, nrow = w$N, ncol = w$D, byrow = TRUE)
data <- list(N = w$N, D = w$D, X = X, y = as.integer(w$y), s0 = w$s0)
run <- function(iterations) {
  fit <- NULL
  times <- system.time(invisible(capture.output(suppressMessages(suppressWarnings(
    fit <- vb(compiled, data = data, algorithm = "fullrank", iter = iterations, grad_samples = w$gradSamples,
              adapt_engaged = FALSE, eta = w$eta, tol_rel_obj = 1e-12, seed = w$seed, output_samples = 200)
  )))))
  # Wall seconds, and CPU seconds (user + system: less moved by other work on a shared machine).
  list(seconds = times[["elapsed"]], cpu = times[["user.self"]] + times[["sys.self"]], fit = fit)
}
per_step <- numeric(0)
cpu_per_step <- numeric(0)
fit <- NULL
for (r in seq_len(w$repeats)) {
  a <- run(w$short)
  b <- run(w$long)
  fit <- b$fit
  per_step <- c(per_step, 1000 * (b$seconds - a$seconds) / (w$long - w$short))
  cpu_per_step <- c(cpu_per_step, 1000 * (b$cpu - a$cpu) / (w$long - w$short))
}
means <- unname(colMeans(as.matrix(fit, pars = "w")))
cat(toJSON(list(version = as.character(packageVersion("rstan")), msPerStep = median(per_step), runs = per_step,
                cpuMsPerStep = median(cpu_per_step),
                posteriorMean = means), auto_unbox = TRUE, digits = NA), "\n")
