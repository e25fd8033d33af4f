/** The logistic pack: Bernoulli labels with a logit link on a linear predictor (Jaakkola–Jordan). */
import type { Pack } from "@vireo/runtime";
import { JaakkolaJordanLogitNode } from "./jaakkola-jordan-logit.js";

export const logisticPack: Pack = Object.freeze({ name: "logistic", nodes: [JaakkolaJordanLogitNode] });
