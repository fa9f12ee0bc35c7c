// Draws the page's Vega-Lite charts (`vega_lite_chart`). Loaded on every page but small: the
// vendored vega, vega-lite, vega-embed and vega-interpreter (static/vendor/, pinned) are fetched
// only when a chart is on the page. Vega runs in its CSP-safe mode (expressions are interpreted
// from their AST by vega-interpreter, never compiled with Function), so the page's
// Content-Security-Policy stays as strict as it is. Without JavaScript the chart's placeholder
// (its title) stays.
(() => {
  "use strict";
  const LIBRARIES = ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js"];
  let loading = null;

  function base() {
    const root = document.getElementById("runnel-root");
    return root ? root.dataset.base || "" : "";
  }

  function loadScript(name) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${base()}/static/${name}`;
      script.async = false;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${name}`));
      document.head.appendChild(script);
    });
  }

  // The libraries in order (each needs the one before), once per page.
  function libraries() {
    if (!loading) {
      loading = LIBRARIES.reduce((done, name) => done.then(() => loadScript(name)), Promise.resolve());
    }
    return loading;
  }

  function dark() {
    const chosen = document.documentElement.dataset.theme;
    if (chosen) return chosen === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  async function draw(figure) {
    const spec = figure.dataset.spec;
    if (figure.dataset.drawn === spec) return;
    figure.dataset.drawn = spec;
    try {
      await libraries();
      const view = figure.querySelector(".rn-vega-view");
      await window.vegaEmbed(view, JSON.parse(spec), {
        mode: "vega-lite",
        renderer: "svg",
        actions: false,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        theme: dark() ? "dark" : undefined,
        ast: true,
        expr: window.vegaInterpreter.expressionInterpreter,
      });
      figure.classList.add("rn-vega-ready");
    } catch (err) {
      figure.classList.add("rn-vega-failed");
      const placeholder = figure.querySelector(".rn-vega-placeholder");
      if (placeholder) placeholder.textContent = `This chart could not be drawn: ${err.message}`;
      console.error("runnel vega:", err);
    }
  }

  function drawAll() {
    for (const figure of document.querySelectorAll("[data-rn-vega]")) {
      // A morph may have replaced the drawing (or the spec): draw again.
      if (!figure.querySelector(".rn-vega-view > *")) delete figure.dataset.drawn;
      draw(figure);
    }
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("runnel:update", drawAll);
  if (document.readyState !== "loading") drawAll();
})();
