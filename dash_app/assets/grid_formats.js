/* Chinese formats for the data grids (dash-ag-grid calls these by name from a column's valueFormatter) and the
   grids' filtered row count and empty state. The grid keeps raw values, so it sorts and filters numbers as numbers. */
(function () {
  var funcs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var blank = function (value) { return value === null || value === undefined || value === ""; };

  funcs.zhInteger = function (value) {
    return blank(value) ? "" : Number(value).toLocaleString("zh-CN", { maximumFractionDigits: 0 });
  };
  funcs.zhDecimal = function (value, decimals) {
    return blank(value) ? "" : Number(value).toLocaleString("zh-CN", {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    });
  };
  funcs.zhNumber = function (value, decimals) {
    return blank(value) ? "" : Number(value).toLocaleString("zh-CN", { maximumFractionDigits: decimals });
  };
  // A share with nothing to divide by (覆盖率 where no holder is expected) reads "—", as on the cards and the bulletin.
  funcs.zhPercent = function (value, decimals) {
    return blank(value) ? "—" : funcs.zhDecimal(value, decimals) + "%";
  };
  funcs.zhDate = function (value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(blank(value) ? "" : String(value));
    return m ? Number(m[1]) + "年" + Number(m[2]) + "月" + Number(m[3]) + "日" : (blank(value) ? "" : String(value));
  };
  funcs.zhDateTime = function (value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(blank(value) ? "" : String(value));
    return m ? funcs.zhDate(value) + " " + m[4] + ":" + m[5] : funcs.zhDate(value);
  };

  /* Enter on a grid's focused cell does what a click does (dash-ag-grid calls this from the grid's cellKeyDown):
     a link in the cell is followed, otherwise the grid's cellClicked is set as a click sets it, so a row's
     drill-down or detail is open to the keyboard too. */
  funcs.enterAsClick = function (params, setGridProps) {
    var event = params.event;
    if (!event || event.key !== "Enter" || event.defaultPrevented || !params.column || !params.node) {
      return;
    }
    var link = event.target && event.target.querySelector ? event.target.querySelector("a[href]") : null;
    if (link) {
      link.click();
      return;
    }
    // If the row's answer re-renders the grid (a drill-down), the focus goes back to its first cell (accessibility.js).
    var host = event.target.closest && event.target.closest(".ag-theme-alpine[id]");
    window.archiveCensusRefocus = host ? { grid: host.id, at: Date.now() } : null;
    setGridProps({
      cellClicked: {
        value: params.value,
        colId: params.column.getColId(),
        rowIndex: params.rowIndex,
        rowId: params.node.id,
        timestamp: Date.now(),
      },
    });
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.archiveCensus = Object.assign({}, window.dash_clientside.archiveCensus, {
    /* "（筛选后 12 条）" beside the grid's count while a filter hides rows (a pinned 合计 row stays the whole's:
       said so); and the grid's class, marked grid-no-rows while it shows none (its pager would read
       第 0 页，共 0 页 under 没有数据). */
    shownRows: function (shown, all, className, pinned) {
      var rows = shown || all || [];
      var filtered = shown && all && shown.length !== all.length;
      var base = (className || "").replace(/\s*\bgrid-no-rows\b/g, "");
      var whole = pinned && pinned.length ? "；合计行仍为全部，不随筛选变化" : "";
      return [
        filtered ? "（筛选后 " + shown.length.toLocaleString("zh-CN") + " 条" + whole + "）" : "",
        rows.length ? base : base + " grid-no-rows",
      ];
    },
  });
})();
