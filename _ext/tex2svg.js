// Render TeX to SVG at build time with MathJax 3 (npm mathjax-full, pinned in package.json),
// so no page has to load MathJax in the browser. Used by _ext/page_speed.py.
// stdin: JSON [{"tex": "...", "display": false}, ...]; stdout: JSON ["<svg ...>", ...].
"use strict";
const path = require("path");
const base = path.join(__dirname, "..", "node_modules", "mathjax-full", "js");
const { mathjax } = require(path.join(base, "mathjax.js"));
const { TeX } = require(path.join(base, "input", "tex.js"));
const { SVG } = require(path.join(base, "output", "svg.js"));
const { liteAdaptor } = require(path.join(base, "adaptors", "liteAdaptor.js"));
const { RegisterHTMLHandler } = require(path.join(base, "handlers", "html.js"));
const { AllPackages } = require(path.join(base, "input", "tex", "AllPackages.js"));

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const document = mathjax.document("", {
  InputJax: new TeX({ packages: AllPackages }),
  OutputJax: new SVG({ fontCache: "none" }),
});

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const items = JSON.parse(input);
  const out = items.map(({ tex, display }) => {
    const node = document.convert(tex, { display: Boolean(display) });
    const svg = adaptor.firstChild(node);   // <mjx-container><svg>...</svg></mjx-container>
    const error = adaptor.tags(svg, "merror");
    if (error.length) {
      throw new Error(`TeX error in ${JSON.stringify(tex)}: ${adaptor.textContent(error[0])}`);
    }
    return adaptor.outerHTML(svg);
  });
  process.stdout.write(JSON.stringify(out));
});
