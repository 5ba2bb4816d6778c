// Draws every card from the JSON above, then keeps the filters, the count and night mode in step.
// Cards are built with the DOM API; only the rendered templates go in as HTML, as in Anki.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("df-data").textContent);
  var root = document.documentElement;
  var list = document.getElementById("df-cards");
  var sectionSelect = document.getElementById("df-section");
  var search = document.getElementById("df-search");
  var answers = document.getElementById("df-answers");
  var night = document.getElementById("df-night");
  var count = document.getElementById("df-count");
  var empty = document.getElementById("df-empty");
  var entries = [];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function side(label, html, which) {
    var wrap = element("section", "df-side df-side-" + which);
    wrap.appendChild(element("h2", "df-side-label", label));
    var frame = element("div", "df-frame");
    // Anki puts `card card1` on the element that holds the rendered template.
    var face = element("div", "card card1");
    face.innerHTML = html;
    frame.appendChild(face);
    wrap.appendChild(frame);
    return wrap;
  }

  data.sections.forEach(function (section) {
    var option = element("option", "", section === "" ? "(no section)" : section);
    option.value = section;
    sectionSelect.appendChild(option);
  });

  var fragment = document.createDocumentFragment();
  data.cards.forEach(function (card, index) {
    var entry = element("article", "df-entry");
    entry.id = "card-" + (index + 1);
    entry.setAttribute("data-guid", card.guid);
    var head = element("header", "df-entry-head");
    head.appendChild(element("span", "df-entry-number", card.number ? "#" + card.number : "card " + (index + 1)));
    if (card.section) head.appendChild(element("span", "df-entry-section", card.section));
    if (card.deck !== data.deck) head.appendChild(element("span", "df-entry-deck", card.deck));
    if (card.tags) head.appendChild(element("span", "df-entry-tags", card.tags));
    entry.appendChild(head);
    var sides = element("div", "df-sides");
    sides.appendChild(side("Front", card.front, "front"));
    sides.appendChild(side("Back", card.back, "back"));
    entry.appendChild(sides);
    fragment.appendChild(entry);
    entries.push({ node: entry, card: card });
  });
  list.appendChild(fragment);
  list.setAttribute("data-rendered", String(entries.length));

  function applyFilter() {
    var section = sectionSelect.value;
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    entries.forEach(function (entry) {
      var visible = (section === "*" || entry.card.section === section) &&
        words.every(function (word) { return entry.card.search.indexOf(word) !== -1; });
      entry.node.hidden = !visible;
      entry.node.classList.toggle("df-hide-answer", !answers.checked);
      if (visible) shown += 1;
    });
    count.textContent = shown === entries.length
      ? entries.length + " cards"
      : shown + " of " + entries.length + " cards";
    list.setAttribute("data-shown", String(shown));
    empty.hidden = shown !== 0;
  }

  function applyNight() {
    var on = night.checked;
    root.classList.toggle("df-night", on);
    entries.forEach(function (entry) {
      var faces = entry.node.querySelectorAll(".card");
      for (var i = 0; i < faces.length; i += 1) {
        // Anki desktop's class and the older/AnkiDroid spelling, on the card itself.
        faces[i].classList.toggle("nightMode", on);
        faces[i].classList.toggle("night_mode", on);
        faces[i].parentNode.style.backgroundColor = getComputedStyle(faces[i]).backgroundColor;
      }
    });
  }

  // `page.html#night` opens in night mode; `#section=Name` and `#q=words` pre-fill the filters.
  location.hash.replace(/^#/, "").split("&").forEach(function (raw) {
    var part = decodeURIComponent(raw);
    if (part === "night") night.checked = true;
    if (part.indexOf("section=") === 0) sectionSelect.value = part.slice(8);
    if (part.indexOf("q=") === 0) search.value = part.slice(2);
  });
  if (sectionSelect.selectedIndex < 0) sectionSelect.value = "*";

  sectionSelect.addEventListener("change", applyFilter);
  search.addEventListener("input", applyFilter);
  answers.addEventListener("change", applyFilter);
  night.addEventListener("change", applyNight);
  applyFilter();
  applyNight();
}());
