// FunctionFirst: small enhancements only. Every page works without this script.
// - the SMART check of each goal as you type (the server's rules, through /plan/check)
// - the draft kept server-side as you type (PUT api/drafts/current)
// - the confidence prompt as soon as a value below 7 is chosen
// - the handout's Print button (prints the handout alone, also inside an EHR frame)
// No inline handlers, no HTML built from data: text goes in with textContent (CSP, XSS).
(function () {
  "use strict";

  // window.print() of this document prints this document only, even in a frame: the
  // browser's own Print would print the EHR page around it.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // In an EHR frame over HTTPS the session cookie is partitioned to the EHR's site (CHIPS),
  // so a new top-level window would not carry it: open the handout in the frame there (its
  // Print button prints the handout alone); elsewhere a window of its own.
  var framed = window.self !== window.top;
  if (framed && window.location.protocol === "https:") {
    Array.prototype.forEach.call(document.querySelectorAll("a[data-own-window]"), function (a) {
      a.removeAttribute("target");
    });
  }
}());

(function () {
  "use strict";

  var form = document.getElementById("plan-form");
  if (!form) { return; }

  var csrf = form.querySelector("input[name=csrf_token]").value;
  var planKey = form.querySelector("input[name=plan_key]").value;
  var status = document.getElementById("draft-status");
  var draftVersion = form.getAttribute("data-draft-version") || "";
  var checkTimer = null;
  var draftTimer = null;

  function fields() {
    var data = new FormData(form);
    var out = {};
    data.forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrf_token" && name !== "plan_key" &&
          name !== "action" && name !== "new_area") {
        out[name] = value;
      }
    });
    return out;
  }

  function say(text) { if (status) { status.textContent = text; } }

  function showChecks(checks) {
    var boxes = form.querySelectorAll("[data-smart]");
    Array.prototype.forEach.call(boxes, function (box) {
      var missing = checks[box.getAttribute("data-smart")] || [];
      while (box.firstChild) { box.removeChild(box.firstChild); }
      var label = document.createElement("strong");
      label.textContent = "SMART check:";
      box.appendChild(label);
      if (missing.length === 0) {
        box.appendChild(document.createTextNode(" activity, amount, frequency and date are set."));
        box.className = "ff-smart ff-smart--ok";
        return;
      }
      var list = document.createElement("ul");
      missing.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        list.appendChild(item);
      });
      box.appendChild(list);
      box.className = "ff-smart ff-smart--missing";
    });
  }

  function check() {
    var body = new URLSearchParams(fields());
    fetch(form.getAttribute("data-check-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
      body: body
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) { showChecks(answer.checks || {}); } })
      .catch(function () { /* the check on submit still runs */ });
  }

  function saveDraft() {
    var headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
    if (draftVersion) { headers["If-Match"] = "W/\"" + draftVersion + "\""; }
    fetch(form.getAttribute("data-draft-url"), {
      method: "PUT",
      credentials: "same-origin",
      headers: headers,
      body: JSON.stringify({ fields: fields(), plan_key: planKey })
    }).then(function (r) {
      if (r.status === 409) {
        say("This draft was changed in another window; saving here keeps this window's version.");
        return r.json().then(function (a) { draftVersion = String(a.version || ""); });
      }
      if (!r.ok) { say("The draft could not be kept; keep this page open until you save."); return null; }
      return r.json().then(function (a) {
        draftVersion = String(a.version || "");
        var now = new Date();
        say("Draft kept at " + String(now.getHours()).padStart(2, "0") + ":" +
            String(now.getMinutes()).padStart(2, "0") + ".");
      });
    }).catch(function () { say("Offline: the draft will be kept when you save or check."); });
  }

  function confidencePrompt() {
    var chosen = form.querySelector("input[name=confidence]:checked");
    var prompt = document.getElementById("confidence-prompt");
    if (!prompt) { return; }
    prompt.hidden = !(chosen && Number(chosen.value) < 7);
  }

  form.addEventListener("input", function () {
    clearTimeout(checkTimer);
    clearTimeout(draftTimer);
    checkTimer = setTimeout(check, 400);
    draftTimer = setTimeout(saveDraft, 1200);
  });
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "confidence") { confidencePrompt(); }
  });

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
