// chiplab book: the ipywidgets renderer typesets widget labels through MathJax 2's API (MathJax.Hub.Queue); the
// site loads MathJax 3, which has no Hub, so every page with widgets threw "reading 'Queue'". This forwards the old
// call to MathJax 3's typesetter. (Jupyter Book adds every .js file in _static/ to every page.)
(function () {
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      Object.defineProperty(mathjax, "Hub", {
        enumerable: false, // not a configuration option for MathJax 3's startup
        value: {
          Queue: function () {
            var current = window.MathJax;
            if (current && current.typesetPromise) { current.typesetPromise(); }
          },
        },
      });
    }
    return mathjax;
  }
  var mathjax = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return mathjax; },
    set: function (value) { mathjax = withHub(value); },
  });
})();

// An explorer's picture is an ipywidgets Image; its description (set by chiplab's explorers as the widget's
// tooltip, i.e. the title attribute) becomes its alt text, so the embedded explorers on the site are described.
(function () {
  function describe(root) {
    root.querySelectorAll("img.widget-image[title]:not([alt])").forEach(function (img) {
      img.setAttribute("alt", img.getAttribute("title"));
    });
  }
  new MutationObserver(function () { describe(document); }).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, attributeFilter: ["title"]});
})();
