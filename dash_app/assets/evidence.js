/* The inspections page's evidence picker: says which file is chosen, and refuses (clears) one of a kind not taken or
   over the size the web takes, before anything is sent (the browser used to drop such a file unsaid and keep the one
   chosen before). Loaded by Dash from assets/; used by a clientside callback of pages/inspections.py, which sends the
   kinds, the limit and the idle text. */
window.dash_clientside = Object.assign({}, window.dash_clientside);
window.dash_clientside.archiveCensus = Object.assign({}, window.dash_clientside.archiveCensus, {
    evidenceChosen: function (contents, filename, spec) {
      var noUpdate = window.dash_clientside.no_update;
      if (!contents) {
        // Cleared after a recorded change (no name either), or just refused below (its name and refusal stay). The
        // file input forgets the file too: the same file chosen again (one 整改报告.pdf for every finding) made no
        // change event, and was not chosen.
        var input = document.querySelector("#" + spec.upload + " input[type=file]");
        if (input) {
          input.value = "";
        }
        return [filename ? noUpdate : spec.idle, noUpdate];
      }
      var dot = filename ? filename.lastIndexOf(".") : -1;
      var suffix = dot > 0 ? filename.slice(dot).toLowerCase() : "";
      if (spec.suffixes.indexOf(suffix) < 0) {
        return ["「" + filename + "」不能作为佐证材料，未选中：只接收" + spec.typesText + "。", null];
      }
      var comma = contents.indexOf(",");
      var encoded = contents.length - comma - 1;
      var padding = contents.endsWith("==") ? 2 : contents.endsWith("=") ? 1 : 0;
      var bytes = Math.floor(encoded * 3 / 4) - padding;
      var size = bytes < 1048576
        ? Math.max(1, Math.round(bytes / 1024)) + " KB"
        : (bytes / 1048576).toFixed(1) + " MB";
      if (bytes > spec.limit) {
        return ["「" + filename + "」" + size + "，超过 " + spec.limitText + " 的上限，未选中：请压缩或拆分后重新选择。", null];
      }
      return ["已选择：「" + filename + "」（" + size + "）", noUpdate];
    }
});
