// Autocomplete for the search boxes (ARIA 1.2 combobox with a listbox): /api/suggest as one types,
// arrows move, Enter picks, Esc closes. Without this script the boxes are plain search forms.
"use strict";

(function () {
  const KIND_LABELS = { person: "人物", place: "地区", department: "部门", keyword: "关键词", title: "标题" };
  // The filter each kind lands on; a title searches its words.
  const KIND_PARAMS = { person: "person", place: "county", department: "department", keyword: "keyword" };
  const DELAY_MS = 120;
  let boxes = 0;

  function landing(form, suggestion) {
    const param = KIND_PARAMS[suggestion.kind] || "q";
    return form.action + "?" + new URLSearchParams([[param, suggestion.text]]).toString();
  }

  function enhance(input) {
    const form = input.form;
    const listId = input.getAttribute("aria-controls") || "suggest-list-" + ++boxes;
    let list = document.getElementById(listId);
    if (!list) {
      list = document.createElement("ul");
      list.id = listId;
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "搜索建议");
      list.className = "suggest-list";
      list.hidden = true;
      form.appendChild(list);
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    form.classList.add("has-suggest");

    let suggestions = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      suggestions = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
      } else {
        input.setAttribute("aria-activedescendant", listId + "-" + index);
      }
    }

    function pick(index) {
      window.location.assign(landing(form, suggestions[index]));
    }

    function show(found) {
      close();
      suggestions = found;
      if (!found.length) {
        return;
      }
      found.forEach(function (suggestion, i) {
        const option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.kind = suggestion.kind;
        option.dataset.text = suggestion.text;
        const text = document.createElement("span");
        text.className = "suggest-text";
        text.textContent = suggestion.text;
        const kind = document.createElement("span");
        kind.className = "suggest-kind";
        kind.textContent = (KIND_LABELS[suggestion.kind] || suggestion.kind) + " · " + suggestion.count + " 篇";
        option.append(text, kind);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keeps the focus in the box until the page changes
          pick(i);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      const typed = input.value.trim();
      const ticket = ++asked;
      if (!typed) {
        close();
        return;
      }
      fetch("/api/suggest?" + new URLSearchParams([["q", typed]]).toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (ticket === asked) { // an older answer arriving late must not replace a newer one
            show(data.suggestions);
          }
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && suggestions.length) {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        // Past the last option or above the first, back to the box (-1), as the typed text.
        const next = active + step;
        mark(next >= suggestions.length ? -1 : next < -1 ? suggestions.length - 1 : next);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        pick(active);
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll('form[role=search] input[name=q]').forEach(enhance);
})();
