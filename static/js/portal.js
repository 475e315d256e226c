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

// The invitation form shows only the scope field of the chosen role (all of them without script).
(() => {
  const role = document.querySelector("#invitation-form select[name=role]");
  if (!role) return;
  const scopeOf = {
    region_staff: "region",
    reviewer: "corporation",
    officer: "certification_body",
    supplier: "supplier",
  };
  const show = () => {
    document.querySelectorAll("#invitation-form [data-invite-scope]").forEach((block) => {
      block.hidden = block.dataset.inviteScope !== scopeOf[role.value];
    });
  };
  role.addEventListener("change", show);
  show();
})();
