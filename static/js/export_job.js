// An export job's page follows the job without reloading itself every few seconds: it asks
// the job's status every 2 seconds, shows the rows written, and reloads once when the file
// is ready (the download link appears) or the job failed (the reason appears).
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-export-status-url");
  var bar = document.getElementById("export-progress");
  var rows = document.getElementById("export-rows");
  var status = document.getElementById("export-status");

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (job) {
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
          return;
        }
        if (bar) {
          bar.value = job.percent;
          bar.textContent = job.percent + " %";
        }
        if (rows) {
          rows.textContent = job.rows_text;
        }
        if (status) {
          status.textContent = job.status_label;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 2000);
})();
