// Bulk actions on a list: "select all" ticks every row of the page and reflects the rows'
// state; the count of selected rows is announced. The forms work without this script too
// (the "select all" box then sends the page's ids itself).
"use strict";

document.querySelectorAll("form[data-bulk-form]").forEach((form) => {
  const rows = Array.from(document.querySelectorAll(`input[data-bulk-row][form="${form.id}"]`));
  const all = document.querySelector(`input[data-bulk-all][form="${form.id}"]`);
  const count = form.querySelector("[data-bulk-count]");
  const update = () => {
    const selected = rows.filter((row) => row.checked).length;
    if (all) {
      all.checked = selected > 0 && selected === rows.length;
      all.indeterminate = selected > 0 && selected < rows.length;
    }
    if (count && count.dataset.template) {
      count.textContent = count.dataset.template.replace("{n}", String(selected));
    }
  };
  if (all) {
    all.addEventListener("change", () => {
      rows.forEach((row) => {
        row.checked = all.checked;
      });
      update();
    });
  }
  rows.forEach((row) => row.addEventListener("change", update));
  if (rows.some((row) => row.checked)) update();
});
