/* What Dash's components do not say to assistive technology, added to the page as it renders (Dash 4's drop-down
   and input take no aria properties). The ids and attributes Dash writes do not change, so React leaves these. */
(function () {
  var count = 0;

  /* A drop-down names itself by its current value alone (aria-labelledby its value's ids): a screen reader heard
     普查覆盖率（%） without 地图指标. One inside a visible label (components.labelled) gets the label first. */
  function nameDropdowns() {
    document.querySelectorAll("label button.dash-dropdown[aria-labelledby]").forEach(function (button) {
      var label = button.closest("label").querySelector(".field-label");
      if (!label) { return; }
      if (!label.id) { label.id = "dropdown-label-" + (++count); }
      var names = button.getAttribute("aria-labelledby");
      if (names.split(" ")[0] !== label.id) { button.setAttribute("aria-labelledby", label.id + " " + names); }
    });
  }

  /* A field whose row shows an error (.field-error, announced as it appears) is marked invalid and described by it,
     so the error is heard again when the field is next focused. */
  function describeFieldErrors() {
    document.querySelectorAll("tr .field-error[id]").forEach(function (slot) {
      var field = slot.closest("tr").querySelector("input[type=text]");
      if (!field) { return; }
      var invalid = String(slot.textContent.trim() !== "");
      if (field.getAttribute("aria-describedby") !== slot.id) { field.setAttribute("aria-describedby", slot.id); }
      if (field.getAttribute("aria-invalid") !== invalid) { field.setAttribute("aria-invalid", invalid); }
    });
  }

  /* After a link opens another page (the address's path changes, the app does not reload), the keyboard's focus
     was left on the page's body and nothing was announced: it moves to the new page's title. A changed query (a
     filter written to the address, a drill-down) keeps the focus where it is. */
  var shownPath = window.location.pathname, shownTitle = null;
  function focusNewPage() {
    var heading = document.querySelector("#main-content h1");
    if (!heading) { return; }
    var path = window.location.pathname, title = heading.textContent;
    if (shownTitle === null) { shownPath = path; shownTitle = title; return; }
    if (path === shownPath || title === shownTitle) { return; }
    shownPath = path;
    shownTitle = title;
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }

  /* Enter on a grid's row that re-renders the grid (a drill-down one level down) left the focus on the page's body:
     once the grid shows its new rows, the focus goes to its first cell, for the arrows and Enter to go on. A row
     that opens a view without the grid (a county's holders) takes the focus to what the view says first (its
     .drill-target: the county's own figures). */
  function refocusGrid() {
    var wanted = window.archiveCensusRefocus;
    if (!wanted) { return; }
    var grid = document.getElementById(wanted.grid);
    if (!grid || Date.now() - wanted.at > 10000) { window.archiveCensusRefocus = null; return; }
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var target;
    if (grid.getClientRects().length) {
      target = grid.querySelector(".ag-center-cols-container .ag-row[row-index='0'] .ag-cell");
    } else {
      target = Array.prototype.find.call(document.querySelectorAll("#main-content .drill-target"), function (e) {
        return e.getClientRects().length && e.textContent.trim();
      });
      if (target) { target.tabIndex = -1; }
    }
    if (!target) { return; }
    window.archiveCensusRefocus = null;
    target.focus();
  }

  /* A grid first drawn without rows (they come by callback) has AG Grid write its 没有数据 overlay into the notice
     it keeps for screen readers, and it stays there once the rows are shown: a reader heard 没有数据 over 47 rows.
     Once a grid has rows, that text (the grid block's data-empty), or its 加载中…… (data-loading, written while the
     rows were on their way), is taken out of its notice; while it has none, the notice is the empty text alone (AG
     Grid added "。. 第 0 页，共 0 页" to it). */
  function clearStaleEmptyNotice() {
    document.querySelectorAll(".grid-block[data-empty] .ag-aria-description-container").forEach(function (notice) {
      var block = notice.closest(".grid-block");
      var empty = block.getAttribute("data-empty");
      var text = notice.textContent;
      var stale = [empty, block.getAttribute("data-loading")].filter(function (said) {
        return said && text.indexOf(said) === 0;
      })[0];
      if (!stale) { return; }
      if (block.querySelector(".ag-center-cols-container .ag-row")) {
        notice.textContent = text.slice(stale.length).replace(/^[.。]\s*/, "");
      } else if (stale === empty && text !== empty) {
        notice.textContent = empty;
      }
    });
  }

  /* A field the keyboard reaches under the page's sticky action bar (保存草稿 and 提交评分 at the window's foot) was
     hidden by it (8 of 30 score fields at 1280 x 720): the page scrolls it up above the bar. */
  document.addEventListener("focusin", function (event) {
    var bar = document.querySelector(".action-bar");
    if (!bar || bar.contains(event.target) || !bar.getClientRects().length) { return; }
    var top = bar.getBoundingClientRect().top, field = event.target.getBoundingClientRect();
    if (field.bottom > top && field.top < window.innerHeight) { window.scrollBy(0, field.bottom - top + 8); }
  });

  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameDropdowns();
      describeFieldErrors();
      focusNewPage();
      refocusGrid();
      clearStaleEmptyNotice();
    });
  }).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["aria-labelledby"],
  });
})();
