/* Tell require.js where the ipywidgets embed manager lives, so the fonts and
   styles it loads relative to itself come from the book's own _static folder
   on every page, whatever its depth (Sphinx writes the page's path to the
   root into <html data-content_root>). */
(function () {
  var root = document.documentElement.getAttribute("data-content_root") || "./";
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": root + "_static/html-manager" } });
})();
