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

// An explorer's picture is an ipywidgets Image, which has no alt text (and ipywidgets 8 cannot give an Image a
// tooltip: its view then fails to render). On the site the picture shows the explorer's default state, which the
// explorer's summary line beside it describes, so that line becomes the picture's alt text.
(function () {
  function describe() {
    document.querySelectorAll("img.widget-image:not([alt])").forEach(function (img) {
      var explorer = img.closest(".cell_output") || img.parentElement;
      var summary = explorer && explorer.querySelector(".widget-html");
      var text = summary ? summary.textContent.trim() : "";
      img.setAttribute("alt", "The explorer's picture in its default state" + (text ? ": " + text : "."));
    });
  }
  new MutationObserver(describe).observe(document.documentElement, {subtree: true, childList: true});
})();
