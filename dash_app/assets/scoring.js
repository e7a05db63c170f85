/* The evaluator's running subtotals and the marks on self-scores too far from the typed ones, computed in the browser
   as scores are typed (the server judges each value when its field is left, and every value again when the sheet is
   saved). Loaded by Dash from assets/; used by a clientside callback of pages/evaluation.py. */
window.dash_clientside = Object.assign({}, window.dash_clientside);
window.dash_clientside.archiveCensus = Object.assign({}, window.dash_clientside.archiveCensus, {
    scoreSheetLive: function (values, ids, areaIds, stores, totalIds, cellIds) {
      var maxima = stores && stores[0];
      var blankTotals = totalIds.map(function () { return ""; });
      var plainCells = cellIds.map(function () { return "number"; });
      if (!maxima || !ids) {
        return [areaIds.map(function () { return ""; }), blankTotals, plainCells];
      }
      // The save's own reading (pages/evaluation.py SCORE_PATTERN, sent in the store: a comma is no decimal point),
      // then its checks: from 0 to the item's maximum, at most one decimal place.
      var pattern = new RegExp(maxima.pattern);
      var sums = {}, scored = {}, items = {}, invalid = {}, typed = {};
      Object.keys(maxima.items).forEach(function (code) {
        var area = maxima.items[code][0];
        items[area] = (items[area] || 0) + 1;
      });
      ids.forEach(function (id, index) {
        var spec = maxima.items[id.item];
        if (!spec) { return; }
        var area = spec[0], max = spec[1];
        var text = String(values[index] == null ? "" : values[index]).normalize("NFKC").trim();
        if (text === "") { return; }
        var number = pattern.test(text) ? Number(text) : NaN;
        if (isNaN(number) || number < 0 || number > max || Math.abs(number * 10 - Math.round(number * 10)) > 1e-9) {
          invalid[area] = (invalid[area] || 0) + 1;
          return;  // a score the save refuses is compared with nothing (12 of 10 read 自评偏差 beside its own error)
        }
        typed[id.item] = number;
        sums[area] = (sums[area] || 0) + number;
        scored[area] = (scored[area] || 0) + 1;
      });
      // Points to one decimal place throughout, as the results give them (131.0 beside 130.7, not 131).
      var one = function (x) { return (Math.round(x * 10) / 10).toFixed(1); };
      var texts = areaIds.map(function (id) {
        var area = id.area;
        var text = "已评 " + (scored[area] || 0) + "/" + (items[area] || 0) + " 项，小计 " + one(sums[area] || 0)
          + " / " + maxima.areas[area] + " 分";
        if (invalid[area]) { text += "，" + invalid[area] + " 项待更正"; }
        if (area === "bonus" && (sums.bonus || 0) > maxima.areas.bonus) {
          text += "，超过上限的 " + one(sums.bonus - maxima.areas.bonus) + " 分不计";
        }
        return text;
      });
      var base = 0, count = 0, all = 0;
      Object.keys(maxima.areas).forEach(function (area) {
        if (area === "bonus") { return; }
        base += sums[area] || 0;
        count += scored[area] || 0;
        all += items[area] || 0;
      });
      // The bonus counts up to its cap (the results cap it the same way); what is typed beyond it is said, not hidden.
      var claimed = sums.bonus || 0, bonus = Math.min(claimed, maxima.areas.bonus || 0);
      var total = "基本分 " + one(base) + " 分（已评 " + count + "/" + all + " 项）＋ 加分 " + one(bonus) + " 分"
        + (claimed > bonus ? "（填报 " + one(claimed) + " 分，超过上限 " + maxima.areas.bonus + " 分的部分不计）" : "");
      // The 该馆自评 cells: "deviates" where the score typed (read as the save reads it) differs from the archive's own
      // by more than the tolerance share of the item's maximum (supervision/scoring.py flag_deviation), compared in
      // hundredths so that 8.8 against 6.8 on a maximum of 10 is exactly 2, not over it.
      var cells = cellIds.map(function (id) {
        var own = maxima.self[id.item], spec = maxima.items[id.item], score = typed[id.item];
        var apart = own != null && spec && score != null
          && Math.round(Math.abs(score - own) * 100) > Math.round(spec[1] * maxima.tolerance * 100);
        return apart ? "number deviates" : "number";
      });
      return [texts, totalIds.map(function () { return total; }), cells];
    },
});

/* What the evaluator typed and has not saved is not lost without a word: leaving the page, choosing another archive
   (the drop-down, a row of 分配给我的评价任务) or following a link asks first, until the sheet is saved or submitted
   (the result beside the buttons turns .ok) or another archive's sheet is shown. */
(function () {
  var MESSAGE = "评分表有未保存的修改（得分、否决项结论或扣分说明），离开将丢失这些修改。确定离开吗？";
  var dirty = false, sheet = null, saved = null;

  function typedIn(event) {
    if (event.target.closest && event.target.closest("#evaluation-form")) { dirty = true; }
  }
  document.addEventListener("input", typedIn, true);
  document.addEventListener("change", typedIn, true);

  function leaves(target) {
    if (!target.closest) { return false; }
    var link = target.closest("a[href]");
    if (link) { return link.getAttribute("href").indexOf("/download/") !== 0; }
    if (target.closest("#evaluation-assignments-grid .ag-row")) { return true; }
    var wrapper = target.closest(".dash-dropdown-wrapper");
    return Boolean(wrapper && wrapper.querySelector("#evaluation-archive") &&
      (target.closest(".dash-dropdown-option") || target.closest("[class*='clear']")));
  }
  function guard(event) {
    if (!dirty || !leaves(event.target)) { return; }
    if (window.confirm(MESSAGE)) { dirty = false; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
  }
  document.addEventListener("click", guard, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { guard(event); }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  new MutationObserver(function () {
    var shown = document.querySelector("#evaluation-form table"), ok = document.querySelector("#evaluation-result .ok");
    if (shown !== sheet) { sheet = shown; dirty = false; }
    if (ok && ok !== saved) { saved = ok; dirty = false; }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
