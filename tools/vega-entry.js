// The Vega runtime the book's kernel-free explorers need, bundled by esbuild (tools/vendor.py).
// The explorers' Vega-Lite specs are compiled to Vega when the book is built
// (lib/explorer_kit.py, with vl-convert), so the page needs neither Vega-Lite nor vega-embed,
// and only the transforms a compiled Vega-Lite spec uses: the data transforms, the view
// transforms (layout, bounds, axes, legends) and the encoders. Vega's geo, force, hierarchy,
// label, regression, voronoi, word-cloud and cross-filter transforms are left out; a spec
// that needs one fails to draw, and tests/test_explorers_browser.py would see it.
import {extend} from 'vega-util';
import {transforms} from 'vega-dataflow';
import * as dataTransforms from 'vega-transforms';
import * as viewTransforms from 'vega-view-transforms';
import * as encoders from 'vega-encode';
import {parse} from 'vega-parser';
import {View} from 'vega-view';
// VEGA_VERSION is defined by tools/vendor.py (esbuild --define) from node_modules/vega/package.json

extend(transforms, dataTransforms, viewTransforms, encoders);

window.vega = {parse, View, version: VEGA_VERSION};
