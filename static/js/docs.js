// The API reference page: Redoc renders the OpenAPI document named by #redoc's data-spec-url,
// in system fonts, so the page needs nothing from outside this server. Its <style> elements
// carry this script's nonce, the one inline style the page's policy allows.
(function () {
  "use strict";
  var sans = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
  var mono = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";
  var root = document.getElementById("redoc");
  var nonce = document.currentScript.nonce;
  Redoc.init(root.dataset.specUrl, {
    theme: {
      typography: {fontFamily: sans, headings: {fontFamily: sans}, code: {fontFamily: mono}}
    },
    expandResponses: "200,201,204,207",
    requiredPropsFirst: true,
    nonce: nonce
  }, root);
})();
