// Sphinx's search lists page titles and excerpts as plain text, so a title such as "the $\phi$ update"
// shows its TeX. Typeset the results with the page's MathJax, as the pages themselves are.
document.addEventListener("DOMContentLoaded", () => {
  const results = document.getElementById("search-results");
  if (!results || !window.MathJax) return;
  results.classList.add("mathjax_process");
  let pending = null;
  new MutationObserver(() => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      MathJax.startup.promise.then(() => MathJax.typesetPromise([results]));
    }, 200);
  }).observe(results, { childList: true, subtree: true });
});
