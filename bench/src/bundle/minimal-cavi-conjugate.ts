/** The minimal CAVI app through the conjugate-only entry (@vireo/runtime/conjugate): README's first model. */
import { ModelBuilder, cavi } from "@vireo/runtime/conjugate";
import { readmeModel, README_DATA } from "../../../examples/src/readme-model.js";

const result = cavi(readmeModel(ModelBuilder), { data: README_DATA });
console.log(result.posteriors.mu!.params());
