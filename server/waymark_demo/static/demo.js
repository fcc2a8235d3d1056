/* The demo host app's own script: embeds Waymark the way a customer would. */
(function () {
  var w = (window.waymark = window.waymark || { _q: [] });
  ["initialize", "identify", "track", "showGuide", "optOut", "optIn"].forEach(function (m) {
    w[m] = w[m] || function () { w._q.push([m, [].slice.call(arguments)]); };
  });

  var PEOPLE = {
    alice: { visitor: { id: "alice", role: "admin", locale: "en", name: "Alice" },
             tenant: { id: "acme", plan: "enterprise", industry: "retail", size: 250 } },
    bruno: { visitor: { id: "bruno", role: "member", locale: "fr", name: "Bruno" },
             tenant: { id: "globex", plan: "free", industry: "software", size: 12 } },
    chloe: { visitor: { id: "chloe", role: "member", locale: "en", name: "Chloé" },
             tenant: { id: "acme", plan: "enterprise", industry: "retail", size: 250 } },
    pat: { visitor: { id: "pat", role: "member", locale: "en", name: "Pat" },
           tenant: { id: "umbrella", plan: "pro", industry: "pharma", size: 40 } },
    nina: { visitor: { id: "nina", role: "member", locale: "en", name: "Nina" },
            tenant: { id: "initech", plan: "pro", industry: "software", size: 60 } }
  };

  function store(key, value) {
    try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) {}
  }
  function read(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }

  // ?visitor=<name or id>[&tenant=..&role=..&locale=..] picks who we are; it is remembered.
  var params = new URLSearchParams(location.search);
  // After "Reset demo visitors" the server has forgotten them: the widget's memory in this browser goes too.
  if (params.has("reset")) {
    try {
      Object.keys(localStorage).forEach(function (k) { if (k.indexOf("waymark:") === 0) localStorage.removeItem(k); });
    } catch (e) {}
  }
  if (params.has("visitor")) {
    store("demo:who", JSON.stringify({ visitor: params.get("visitor"), tenant: params.get("tenant"),
      role: params.get("role"), locale: params.get("locale") }));
  }
  var chosen = null;
  try { chosen = JSON.parse(read("demo:who") || "null"); } catch (e) { chosen = null; }

  var person;
  if (chosen && PEOPLE[chosen.visitor]) {
    person = PEOPLE[chosen.visitor];
  } else if (chosen && chosen.visitor) {
    person = { visitor: { id: chosen.visitor, role: chosen.role || "member", locale: chosen.locale || "en" },
               tenant: { id: chosen.tenant || "demo-co", plan: "trial" } };
  } else {
    var anon = read("demo:visitor");
    if (!anon) { anon = "visitor-" + Math.random().toString(36).slice(2, 10); store("demo:visitor", anon); }
    person = { visitor: { id: anon, role: "member", locale: (navigator.language || "en").slice(0, 2) },
               tenant: { id: "demo-co", plan: "trial" } };
  }
  // ?identity=<token>: what a host whose server signs its visitors would pass (see the README).
  if (params.has("identity")) person.identity = params.get("identity");
  w.initialize(person);

  function toast(text) {
    var t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.className = "on";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.className = ""; }, 1600);
  }

  function showTab(tab) {
    ["general", "team"].forEach(function (name) {
      var section = document.getElementById("tab-" + name);
      if (section) section.hidden = name !== tab;
    });
    document.querySelectorAll("[data-spa]").forEach(function (a) {
      if (a.getAttribute("data-spa") === tab) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("demo-who");
    if (select) {
      select.value = chosen && PEOPLE[chosen.visitor] ? chosen.visitor : "";
      select.addEventListener("change", function () {
        store("demo:who", select.value ? JSON.stringify({ visitor: select.value }) : null);
        location.href = location.pathname;
      });
    }
    var messages = { "new-invoice": "Draft invoice created", "export-csv": "invoices.csv downloaded",
      "send-invoice": "Invoice sent", "download-pdf": "PDF downloaded" };
    Object.keys(messages).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("click", function () { toast(messages[id]); });
    });
    var form = document.getElementById("settings-form");
    if (form) form.addEventListener("submit", function (e) { e.preventDefault(); toast("Settings saved"); });
    // The settings tabs switch like a single-page app: history.pushState, no reload.
    document.querySelectorAll("[data-spa]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        history.pushState({ tab: a.getAttribute("data-spa") }, "", a.getAttribute("href"));
        showTab(a.getAttribute("data-spa"));
      });
    });
    window.addEventListener("popstate", function () {
      showTab(location.pathname.slice(-5) === "/team" ? "team" : "general");
    });
  });
})();
