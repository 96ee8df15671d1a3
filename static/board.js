/* Live board: keep an open board (or its presenter view) up to date without reloading.
 *
 * Asks the server every few seconds for what changed after the version this page shows.
 * Changed cards come drawn as HTML and replace, move or join their list; deleted cards
 * go; a change to columns, clusters, the vote or the lock redraws the board's body,
 * keeping what the person was typing and where the focus was. Without this script the
 * board works the same, by reloading. */
(function () {
  "use strict";
  var live = document.querySelector("[data-live-board]");
  if (!live || !window.fetch) {
    return;
  }
  var url = live.getAttribute("data-changes-url");
  var version = parseInt(live.getAttribute("data-version"), 10);
  var delay = parseInt(live.getAttribute("data-poll"), 10) || 3000;
  var status = document.getElementById("live-status");
  var failures = 0;

  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function keep() {
    var values = {};
    live.querySelectorAll("textarea[id], input[id]:not([type=hidden]), select[id]").forEach(function (el) {
      values[el.id] = el.value;
    });
    var active = document.activeElement;
    return { values: values, focus: active && live.contains(active) ? active.id : null };
  }

  function restore(kept) {
    Object.keys(kept.values).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.tagName === "TEXTAREA" && kept.values[id]) {
        el.value = kept.values[id];
      } else if (el && el.tagName === "INPUT" && el.type === "text" && kept.values[id] !== el.defaultValue) {
        el.value = kept.values[id];
      }
    });
    if (kept.focus) {
      var target = document.getElementById(kept.focus);
      if (target) {
        target.focus();
      }
    }
  }

  function totals() {
    live.querySelectorAll("[data-cluster-total]").forEach(function (total) {
      var list = document.getElementById("cards-g" + total.getAttribute("data-cluster-total"));
      var sum = 0;
      if (list) {
        list.querySelectorAll("[data-dots]").forEach(function (card) {
          sum += parseInt(card.getAttribute("data-dots"), 10) || 0;
        });
      }
      total.textContent = String(sum);
    });
  }

  function placeCard(change) {
    var old = document.getElementById("card-" + change.id);
    if (change.deleted) {
      if (old) {
        old.remove();
      }
      return;
    }
    var list = document.getElementById(change.place);
    var card = fromHtml(change.html);
    if (!card || !list) {
      return;
    }
    var focused = old && old.contains(document.activeElement) ? document.activeElement.id : null;
    if (old && old.parentElement === list) {
      old.replaceWith(card);
    } else {
      if (old) {
        old.remove();
      }
      var next = null;
      list.querySelectorAll(":scope > [id^='card-']").forEach(function (item) {
        if (!next && parseInt(item.id.slice(5), 10) > change.id) {
          next = item;
        }
      });
      list.insertBefore(card, next);
    }
    if (focused && document.getElementById(focused)) {
      document.getElementById(focused).focus();
    }
  }

  function apply(data) {
    if (typeof data.version !== "number" || data.version === version) {
      return;
    }
    if (typeof data.body === "string") {
      var kept = keep();
      live.innerHTML = data.body;
      restore(kept);
    } else if (data.cards) {
      data.cards.forEach(placeCard);
      totals();
    }
    version = data.version;
    if (status) {
      status.textContent = live.getAttribute("data-new-cards");
    }
  }

  function poll() {
    var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "since=" + version;
    fetch(address, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        apply(data);
      })
      .catch(function () {
        failures = Math.min(failures + 1, 5);
      })
      .then(function () {
        window.setTimeout(poll, delay * (1 + failures));
      });
  }

  window.setTimeout(poll, delay);
})();
