// Copy GOV.UK Frontend's JavaScript and images (not its fonts) next to the compiled CSS.
// The output folder is git-ignored: the setup installs it, the repository never holds it.
import { cpSync, mkdirSync } from "node:fs";

const src = "node_modules/govuk-frontend/dist/govuk";
const out = "feedback/static/build";
mkdirSync(out, { recursive: true });
cpSync(`${src}/govuk-frontend.min.js`, `${out}/govuk-frontend.min.js`);
cpSync(`${src}/assets/images`, `${out}/images`, { recursive: true });
cpSync("node_modules/axe-core/axe.min.js", `${out}/axe.min.js`);
