/** The minimal CAVI app whose browser bundle size bench/src/bundle-size.ts reports: README's first model. */
import { ModelBuilder, cavi } from "@vireo/runtime";
import { readmeModel, README_DATA } from "../../../examples/src/readme-model.js";

const result = cavi(readmeModel(ModelBuilder), { data: README_DATA });
console.log(result.posteriors.mu!.params());
