// The portal's own script, loaded on every page (the Content-Security-Policy allows no inline script).
"use strict";

// "Cancel" links go back one page when there is one to go back to; otherwise they follow their href.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-history-back]");
  if (link && window.history.length > 1 && document.referrer.startsWith(window.location.origin)) {
    event.preventDefault();
    window.history.back();
  }
});
