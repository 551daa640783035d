// Times in the browser's locale and time zone. The server renders UTC: <time data-local
// datetime="...Z">UTC text</time> for display (the text stays as the no-script fallback), and
// datetime-local inputs marked data-local-time holding UTC. Here the display is formatted with
// Intl.DateTimeFormat, and the inputs are shown in the browser's zone; the form's hidden `tz`
// and `tz-offset` then say which zone, and the server converts what is posted back to UTC
// (segments_app/web/local_time.py), also for htmx posts that never fire a submit event.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function zoneName() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function showTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      const moment = new Date(el.getAttribute("datetime"));
      if (isNaN(moment)) return;
      const dateOnly = el.getAttribute("data-local") === "date";
      const options = dateOnly ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" };
      if (!el.title) el.title = el.textContent.trim();
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(moment);
    });
  }

  // "2025-03-31T18:00" in UTC -> the same moment as the browser's local datetime-local text
  function localText(utc) {
    const moment = new Date(utc + "Z");
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(utc) || isNaN(moment)) return null;
    let text = moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()) +
      "T" + pad(moment.getHours()) + ":" + pad(moment.getMinutes());
    if (moment.getSeconds()) text += ":" + pad(moment.getSeconds());
    return text;
  }

  function localInputs(root) {
    root.querySelectorAll("input[data-time-zone]").forEach(function (zone) {
      const form = zone.form;
      if (!form || zone.value !== "UTC") return;  // shown in local time already
      form.querySelectorAll("input[data-local-time]").forEach(function (input) {
        const text = input.value && localText(input.value);
        if (text) input.value = text;
      });
      const name = zoneName();
      zone.value = name || "UTC";
      const offset = form.querySelector("input[data-time-zone-offset]");
      if (offset) offset.value = String(-new Date().getTimezoneOffset());
      const hint = form.querySelector("[data-time-zone-hint]");
      if (hint) hint.textContent = "Dates and times are in your time zone" + (name ? " (" + name + ")" : "") + "; they are stored in UTC.";
    });
  }

  function run(root) { showTimes(root); localInputs(root); }

  document.addEventListener("DOMContentLoaded", function () { run(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    run(event.detail && event.detail.elt ? event.detail.elt.parentNode || document : document);
  });
})();
