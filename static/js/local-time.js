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

  function moment(el) {
    let text = el.getAttribute("datetime") || "";
    // a time the server wrote without zone is UTC, as it stores them all
    if (/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += "Z";
    const value = new Date(text);
    return isNaN(value) ? null : value;
  }

  // <time data-local>: the text becomes the local time ("date": the day only); any other <time>
  // whose text or title is the UTC fallback ("... UTC") gets the local time there instead
  function showTimes(root) {
    const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      const value = moment(el);
      if (!value || el.hasAttribute("data-localized")) return;
      const text = el.textContent.trim();
      if (el.hasAttribute("data-local") || /UTC$/.test(text)) {
        if (!el.title) el.title = text;
        el.textContent = (el.getAttribute("data-local") === "date" ? day : full).format(value);
      } else if (/UTC$/.test(el.title)) {
        el.title = full.format(value);
      }
      el.setAttribute("data-localized", "");
    });
  }

  // "2025-03-31T18:00" in UTC -> the same moment as the browser's local datetime-local text
  function localText(utc) {
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(utc)) return null;
    const moment = new Date(utc + "Z");
    if (isNaN(moment)) return null;
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
      // without a zone name the server goes by the offset (tz-offset)
      zone.value = name;
      const offset = form.querySelector("input[data-time-zone-offset]");
      if (offset) offset.value = String(-new Date().getTimezoneOffset());
      // a form may say it beside each input (the rule editor) or once
      form.querySelectorAll("[data-time-zone-hint]").forEach(function (hint) {
        hint.textContent = "Dates and times are in your time zone" + (name ? " (" + name + ")" : "") + "; they are stored in UTC.";
      });
    });
  }

  function run(root) { showTimes(root); localInputs(root); }

  document.addEventListener("DOMContentLoaded", function () { run(document); });
  // a swap may replace the element it was aimed at (outerHTML): look over the whole page, which
  // skips what is shown in local time already
  document.addEventListener("htmx:afterSettle", function () { run(document); });
})();
