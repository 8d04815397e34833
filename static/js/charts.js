// Draw every chart on the page from the Plotly figure JSON the server embedded beside it.
(function () {
  "use strict";
  function draw() {
    var drawing = [];
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || !window.Plotly) { return; }
      var figure = JSON.parse(source.textContent);
      var layout = figure.layout || {};
      delete layout.width;  // fill the card; the PDF keeps its fixed size
      // A dashboard card's heading names its chart; the report preview has none, so it keeps the figure's title.
      if (!("keepTitle" in el.dataset)) {
        delete layout.title;
        layout.margin = Object.assign({}, layout.margin, { t: 20 });
      }
      layout.autosize = true;
      // No "send to cloud": unpublished scores must never leave the site.
      drawing.push(window.Plotly.newPlot(el, figure.data, layout, {
        responsive: true, displaylogo: false, showSendToCloud: false, modeBarButtonsToRemove: ["sendChartToCloud"],
      }));
    });
    // Once every chart is drawn (what the browser benchmark and tests wait for).
    Promise.all(drawing).then(function () {
      document.dispatchEvent(new CustomEvent("charts:drawn", { detail: { count: drawing.length } }));
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
