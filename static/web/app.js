// Shows a visible banner when an HTMX request fails, instead of leaving a card "Loading…" forever.
(function () {
  "use strict";

  function banner() {
    return document.getElementById("error-banner");
  }

  function showError(message, element) {
    var node = banner();
    if (!node) return;
    node.querySelector(".error-banner-text").textContent = message;
    node.hidden = false;
    if (element && element.classList) {
      element.classList.add("load-failed");
      // A card that never loaded must not keep saying "Loading…".
      var placeholder = element.querySelector(".loading a");
      if (placeholder) placeholder.textContent = "Could not load this card. Open it on its own page";
    }
  }

  function describe(detail) {
    var path = (detail.requestConfig && detail.requestConfig.path) || (detail.pathInfo && detail.pathInfo.requestPath) || "";
    return path ? " (" + path + ")" : "";
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status + " " + (xhr.statusText || "") : "an error";
    showError("The server answered " + status.trim() + describe(event.detail) + ". Please try again; if it keeps happening, tell the MemberHub team.", event.detail.elt);
  });

  document.addEventListener("htmx:sendError", function (event) {
    showError("Could not reach the server" + describe(event.detail) + ". Check your connection and try again.", event.detail.elt);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".error-banner-close")) banner().hidden = true;
  });

  // A successful request after a failure means things work again: clear the banner.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      var node = banner();
      var element = event.detail.elt;
      if (node && element && element.classList && element.classList.contains("load-failed")) {
        element.classList.remove("load-failed");
        node.hidden = true;
      }
    }
  });
})();
