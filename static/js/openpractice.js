// OpenPractice page behaviour. No inline script anywhere (CSP): everything hangs off data- attributes.
(function () {
  "use strict";

  // Submit a form when a select marked data-autosubmit changes (the location switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]")) {
      target.form.submit();
    }
  });

  // Ask before destructive actions: <button data-confirm="Deactivate this user?">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Small-screen menu: the ☰ button opens and closes the side navigation.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (nav) { nav.classList.toggle("is-open", open); }
      return;
    }
    // Dismiss a flash message.
    var close = event.target.closest && event.target.closest("[data-flash-close]");
    if (close) {
      var flash = close.closest("[data-flash]");
      if (flash) { flash.remove(); }
    }
  });

  // A form that came back with errors: move focus to its error summary so it is read out first.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // Idle logoff warning: a minute before the server would end the session, offer to stay signed in.
  function idleWatch() {
    var body = document.body;
    var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
    if (!timeout) { return; }
    var dialog = document.getElementById("idle-warning");
    var countdown = dialog && dialog.querySelector("[data-idle-countdown]");
    var warnAt = Math.max(timeout - 60, 1) * 1000;
    var lastActivity = Date.now();
    var timer = null;

    function csrfToken() {
      var match = document.cookie.match(/(?:^|; )op_csrftoken=([^;]+)/);
      return match ? decodeURIComponent(match[1]) : "";
    }
    function schedule() {
      window.clearInterval(timer);
      timer = window.setInterval(tick, 1000);
    }
    function tick() {
      var idle = Date.now() - lastActivity;
      if (idle >= timeout * 1000) {
        window.location.assign(body.dataset.logoutUrl + "?expired=1");
        return;
      }
      if (idle >= warnAt && dialog && !dialog.open) {
        dialog.showModal();
      }
      if (dialog && dialog.open && countdown) {
        countdown.textContent = String(Math.max(0, Math.round((timeout * 1000 - idle) / 1000)));
      }
    }
    function stay() {
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.ok) {
          lastActivity = Date.now();
          if (dialog) { dialog.close(); }
        } else {
          window.location.reload();
        }
      });
    }
    // Page loads and htmx requests are the activity the server counts.
    document.addEventListener("htmx:afterRequest", function () { lastActivity = Date.now(); });
    if (dialog) {
      dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
    }
    schedule();
  }

  function start() {
    idleWatch();
    focusErrorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
