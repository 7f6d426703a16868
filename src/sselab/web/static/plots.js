// Draw every <div class="plot" data-figure="ID"> from the JSON in <script type="application/json" id="ID">.
// Served from this server (no inline script, no CDN): the page's Content-Security-Policy allows 'self' only.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.plot[data-figure]").forEach(function (div) {
    var source = document.getElementById(div.dataset.figure);
    if (!source || typeof Plotly === "undefined") { div.textContent = "plot unavailable"; return; }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(div, figure.data, figure.layout, {responsive: true, displaylogo: false})
      .then(function () { div.dataset.rendered = "true"; });
  });
});
