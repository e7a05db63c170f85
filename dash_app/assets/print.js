/* Printing a page (Ctrl+P, or the browser's 打印): a grid printed the page of rows it showed (20 of 437) and said
   nothing of the others, and a grid or chart wider than the paper was cut at its edge. While the page prints, each
   grid lays out all its rows (one of more than PRINT_ALL_ROWS keeps the page shown, and its printed pager says which
   page of how many), the paper turns to landscape when something is wider than a portrait page, and what is still
   wider is scaled down to the paper's width; all of it goes back once printed. */
(function () {
  var PRINT_ALL_ROWS = 500;
  // A4 less the page's margins (assets/app.css, @page: 12 mm each side), in CSS pixels (96 per inch).
  var PORTRAIT_PX = 700, LANDSCAPE_PX = 1030;
  var undo = [];

  function gridApi(element) {
    try { return window.dash_ag_grid && window.dash_ag_grid.getApi(element.id); } catch (e) { return null; }
  }

  function columnsWidth(api) {
    return api.getAllDisplayedColumns().reduce(function (sum, column) { return sum + column.getActualWidth(); }, 0);
  }

  function printAllRows(element, api) {
    if (api.paginationGetRowCount() > PRINT_ALL_ROWS) {
      element.classList.add("print-paged");
      undo.push(function () { element.classList.remove("print-paged"); });
      return;
    }
    var page = api.paginationGetCurrentPage();
    api.setGridOption("pagination", false);
    api.setGridOption("domLayout", "print");
    undo.push(function () {
      api.setGridOption("domLayout", "autoHeight");
      api.setGridOption("pagination", true);
      api.paginationGoToPage(page);
    });
  }

  function scaleTo(element, width, paper) {
    if (width <= paper) { return; }
    element.style.zoom = String(paper / width);
    undo.push(function () { element.style.zoom = ""; });
  }

  window.addEventListener("beforeprint", function () {
    var wide = [];
    document.querySelectorAll(".grid-block .ag-theme-alpine[id]").forEach(function (element) {
      var api = gridApi(element);
      if (!api) { return; }
      wide.push([element, columnsWidth(api)]);
      printAllRows(element, api);
    });
    document.querySelectorAll("#main-content .js-plotly-plot").forEach(function (chart) {
      wide.push([chart, chart.offsetWidth]);
    });
    var widest = wide.reduce(function (most, pair) { return Math.max(most, pair[1]); }, 0);
    var paper = PORTRAIT_PX;
    if (widest > PORTRAIT_PX) {
      var landscape = document.createElement("style");
      landscape.textContent = "@page { size: A4 landscape; }";
      document.head.appendChild(landscape);
      undo.push(function () { landscape.remove(); });
      paper = LANDSCAPE_PX;
    }
    wide.forEach(function (pair) { scaleTo(pair[0], pair[1], paper); });
  });

  window.addEventListener("afterprint", function () {
    var steps = undo;
    undo = [];
    steps.reverse().forEach(function (step) { step(); });
  });
})();
