/* The housing office's pages: a few touches on top of server-rendered HTML (everything works
   without this script; htmx adds the updates without a reload).

   - Focus goes to what a page asks the reader to see first (an error summary, a move-in warning,
     a confirmation), so that screen reader users hear it.
   - When an update replaces the part of the page that holds the keyboard focus, the focus goes
     back to the same link or control in the new part instead of being lost. */
(function () {
  "use strict";

  function focusFirst(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  function describe(element) {
    if (!element || element === document.body) return null;
    if (element.id) return "#" + CSS.escape(element.id);
    if (element.getAttribute("href")) {
      return element.tagName.toLowerCase() + '[href="' + CSS.escape(element.getAttribute("href")) + '"]';
    }
    return null;
  }

  var remembered = null;

  document.addEventListener("DOMContentLoaded", function () {
    focusFirst(document);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var part = event.detail.target;
    var active = document.activeElement;
    remembered = part && active && part.contains(active) ? describe(active) : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!remembered) return;
    var again = document.querySelector("#live-part " + remembered) || document.querySelector(remembered);
    if (again) again.focus({ preventScroll: true });
    remembered = null;
  });
})();
