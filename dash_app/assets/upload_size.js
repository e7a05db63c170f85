/* The upload form's file input (pages/upload.py): a workbook over the size the server takes is refused here, with the
   reason beside the form, before it is sent (the server would refuse it anyway, on a page of its own outside the app).
   The form is static HTML, so this listens on the document; the input carries the limit and the advice in data-*. */
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input || !input.dataset || !input.dataset.maxBytes) {
    return;
  }
  var note = input.form && input.form.querySelector("[role=alert]");
  var file = input.files && input.files[0];
  if (note) {
    note.textContent = "";
  }
  if (file && file.size > Number(input.dataset.maxBytes)) {
    input.value = "";
    if (note) {
      note.textContent = "「" + file.name + "」" + (Math.ceil(file.size / 104857.6) / 10).toFixed(1) + " MB，超过 " +
        input.dataset.limitText + " 的上限，未选中。" + input.dataset.advice;
    }
  }
});
