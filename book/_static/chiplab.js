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
