// Bayesian logistic regression, as bench/src/bbvi.ts fits it: w ~ N(0, s0² I), y_n ~ Bernoulli(σ(x_n·w)).
data {
  int<lower=1> N;
  int<lower=1> D;
  matrix[N, D] X;
  int<lower=0, upper=1> y[N];
  real<lower=0> s0;
}
parameters {
  vector[D] w;
}
model {
  w ~ normal(0, s0);
  y ~ bernoulli_logit(X * w);
}
