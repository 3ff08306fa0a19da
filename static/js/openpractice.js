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

  // The CSRF token for fetch(): the one base.html gives htmx in the body's hx-headers. Not the cookie:
  // production marks it HttpOnly, so scripts cannot read it.
  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // Idle logoff warning: a minute before the server would end the session, offer to stay signed in.
  // The timer is per tab, but the server's idle clock is per session: before warning or signing out, ask
  // the server how long is left (a background request, which the server does not count as activity). Work
  // in another tab moves that clock, and then this tab only catches up instead of signing everyone out.
  function idleWatch() {
    var body = document.body;
    var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
    if (!timeout || !body.dataset.remainingUrl) { return; }
    var dialog = document.getElementById("idle-warning");
    var countdown = dialog && dialog.querySelector("[data-idle-countdown]");
    var warnBefore = Math.min(60, timeout - 1) * 1000;
    var deadline = Date.now() + timeout * 1000;  // when this tab believes the server will end the session
    var asking = false;

    function signOut() {
      window.location.assign(body.dataset.logoutUrl + "?expired=1");
    }
    function activity() {
      deadline = Date.now() + timeout * 1000;
    }
    function showCountdown() {
      if (countdown) {
        countdown.textContent = String(Math.max(0, Math.round((deadline - Date.now()) / 1000)));
      }
    }
    // Ask the server; sign out only when it says nothing is left, otherwise follow its clock.
    function askServer() {
      asking = true;
      fetch(body.dataset.remainingUrl, {
        headers: { "X-OP-Background": "1", "Accept": "application/json" },
        credentials: "same-origin",
        cache: "no-store"
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        // Not JSON: the session is already over (the server sent the sign-in page) or not usable.
        return response.ok && json ? response.json() : { seconds_left: 0 };
      }).then(function (data) {
        var left = Number(data.seconds_left) || 0;
        if (left <= 0) {
          signOut();
          return;
        }
        deadline = Date.now() + left * 1000;
        if (left * 1000 > warnBefore) {
          if (dialog && dialog.open) { dialog.close(); }
        } else {
          if (dialog && !dialog.open) { dialog.showModal(); }
          showCountdown();
        }
        asking = false;
      }, function () {
        // The server did not answer (network down): keep counting and ask again at the next tick.
        asking = false;
      });
    }
    function tick() {
      if (asking) { return; }
      var left = deadline - Date.now();
      if (left <= 0 || (left <= warnBefore && !(dialog && dialog.open))) {
        askServer();
        return;
      }
      if (dialog && dialog.open) { showCountdown(); }
    }
    function stay() {
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.ok) {
          activity();
          if (dialog) { dialog.close(); }
        } else {
          window.location.reload();
        }
      });
    }
    // Page loads and htmx requests are the activity the server counts.
    document.addEventListener("htmx:afterRequest", activity);
    if (dialog) {
      dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
      // Escape closes a modal dialog; whoever pressed it is here, so it counts as "Stay signed in".
      dialog.addEventListener("cancel", function (event) {
        event.preventDefault();
        stay();
      });
    }
    window.setInterval(tick, 1000);
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
