// Starts GOV.UK Frontend's components (character count, error summary focus, double-click
// prevention). Pages work without it: this only improves them.
import { initAll } from "../build/govuk-frontend.min.js";

initAll();
