/* Filters for the board site (contract: observatory/site/filters.py, templates/_filters.html).
   Progressive enhancement: without this script the controls stay hidden and every figure shows.
   With it, each form[data-filters] is shown; an element with a data-<name> attribute is hidden when
   none of its (space-separated) values is the value chosen in the <select data-filter="<name>">.
   "" (All) matches everything; an element without the attribute is never hidden by that filter.
   The form applies to the nearest ancestor marked [data-filter-scope], else to the whole page. */
(function () {
  "use strict";

  function chosen(form) {
    var out = [];
    var selects = form.querySelectorAll("select[data-filter]");
    for (var i = 0; i < selects.length; i++) {
      var s = selects[i];
      out.push({
        name: s.getAttribute("data-filter"),
        value: s.value,
        label: s.value ? s.options[s.selectedIndex].text : ""
      });
    }
    return out;
  }

  function matches(el, filters) {
    for (var i = 0; i < filters.length; i++) {
      var f = filters[i];
      if (!f.value) continue;
      var attr = el.getAttribute("data-" + f.name);
      if (attr === null) continue;
      if (attr.split(/\s+/).indexOf(f.value) === -1) return false;
    }
    return true;
  }

  function hiddenByAncestor(el, scope) {
    for (var p = el.parentElement; p && p !== scope; p = p.parentElement) {
      if (p.hasAttribute("data-filtered-out")) return true;
    }
    return false;
  }

  function apply(form) {
    var scope = form.closest("[data-filter-scope]") || document.body;
    var filters = chosen(form);
    var selector = filters.map(function (f) { return "[data-" + f.name + "]"; }).join(",");
    if (!selector) return;
    var items = Array.prototype.slice.call(scope.querySelectorAll(selector)).filter(function (el) {
      return !form.contains(el);
    });
    items.forEach(function (el) {
      if (matches(el, filters)) {
        el.hidden = false;
        el.removeAttribute("data-filtered-out");
      } else {
        el.hidden = true;
        el.setAttribute("data-filtered-out", "");
      }
    });
    // Count the innermost items (table rows, charts): the units a reader sees.
    var leaves = items.filter(function (el) { return el.querySelector(selector) === null; });
    var shown = leaves.filter(function (el) {
      return !el.hasAttribute("data-filtered-out") && !hiddenByAncestor(el, scope);
    }).length;
    var active = filters.filter(function (f) { return f.value; }).map(function (f) {
      var label = form.querySelector("label[for='" + form.id + "-" + f.name + "']");
      return (label ? label.textContent.trim() : f.name) + ": " + f.label;
    });
    var status = form.querySelector(".filter-status");
    if (status) {
      status.textContent = "Showing " + shown + " of " + leaves.length + " items" +
        (active.length ? " (" + active.join("; ") + ")." : " (no filter chosen).");
    }
  }

  function init() {
    var forms = document.querySelectorAll("form[data-filters]");
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        form.hidden = false;
        form.addEventListener("change", function () { apply(form); });
        form.addEventListener("submit", function (e) { e.preventDefault(); });
        apply(form); // the selected values rendered in the HTML (the latest period by default)
      })(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
