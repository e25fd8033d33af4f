/** @vireo/plugins: optional node packs written against the public API only. */
export { StudentTLinearNode } from "./student-t/student-t-linear.js";
export { studentTPack, studentTScale } from "./student-t/pack.js";
export { JaakkolaJordanLogitNode, jjLambda } from "./logistic/jaakkola-jordan-logit.js";
export { logisticPack } from "./logistic/pack.js";
