// Typeset the formulas that pymdownx.arithmatex leaves as \( ... \) and \[ ... \], with the
// KaTeX served from this site (assets/katex). document$ re-runs it after instant navigation.
(function () {
  function typeset(root) {
    renderMathInElement(root, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (page) { typeset(page.body || document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
