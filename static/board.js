/* Live board: keep an open board (or its presenter view) up to date without reloading.
 *
 * Asks the server every few seconds for what changed after the version this page shows.
 * Changed cards come drawn as HTML and replace, move or join their list; deleted cards
 * go; a change to columns, clusters, the vote or the lock redraws the board's body.
 * Either way the person's own state survives: what they typed or chose in any form
 * (the "said by" of a card being written down included), which menus they opened, and
 * where the focus was. Without this script the
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

  // What the person has done to the forms and menus under root (a card, or the board's
  // body): values changed from what the page was drawn with (text, numbers, the "said by"
  // and "move to" selects, boxes ticked), which menus are open, and where the focus is.
  // A redraw brings the server's defaults back; restore() then puts the person's state
  // back on the new elements, found by id.
  function keep(root) {
    var state = {};
    root.querySelectorAll("textarea[id], input[id], select[id], details[id]").forEach(function (el) {
      if (el.tagName === "DETAILS") {
        state[el.id] = { open: el.open };
      } else if (el.tagName === "SELECT") {
        var changed = Array.prototype.some.call(el.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
        if (changed) {
          state[el.id] = { value: el.value };
        }
      } else if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) {
          state[el.id] = { checked: el.checked };
        }
      } else if (el.type !== "hidden" && el.type !== "submit" && el.type !== "button" && el.value !== el.defaultValue) {
        state[el.id] = { value: el.value };
      }
    });
    var active = document.activeElement;
    return { state: state, focus: active && active.id && root.contains(active) ? active.id : null };
  }

  function restore(kept) {
    Object.keys(kept.state).forEach(function (id) {
      var el = document.getElementById(id);
      var saved = kept.state[id];
      if (!el) {
        return;
      }
      if ("open" in saved) {
        el.open = saved.open;
      } else if ("checked" in saved) {
        el.checked = saved.checked;
      } else if (el.tagName === "SELECT") {
        // Only a choice the new drawing still offers (a column or attendee may be gone).
        var offered = Array.prototype.some.call(el.options, function (option) {
          return option.value === saved.value;
        });
        if (offered) {
          el.value = saved.value;
        }
      } else {
        el.value = saved.value;
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
    var kept = old ? keep(old) : null;
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
    if (kept) {
      restore(kept);
    }
  }

  function apply(data) {
    if (typeof data.version !== "number" || data.version === version) {
      return;
    }
    if (typeof data.body === "string") {
      var kept = keep(live);
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
