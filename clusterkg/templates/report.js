/* The clusterkg report's own script: sortable tables, the interactive network
   (cytoscape.js) and the map (d3-geo + topojson-client, Natural Earth countries).
   Reads its data from <script type="application/json" id="report-data">; writes
   what it drew into data- attributes (data-nodes, data-edges, data-places,
   data-arcs) so that a test can read them from the DOM. */
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    root.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { fail(e.message || e); });

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var words = data.words;
  var collator = new Intl.Collator(data.lang, {numeric: true, sensitivity: "base"});

  /* ---------------------------------------------------------------- tables */
  function sortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.setAttribute("title", words.sort_hint);
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        function key(row) {
          var c = row.cells[col];
          if (!c) return "";
          return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent.trim();
        }
        var numeric = rows.every(function (r) { var k = key(r); return k === "" || !isNaN(Number(k)); });
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), d;
          if (numeric) { d = (x === "" ? -Infinity : Number(x)) - (y === "" ? -Infinity : Number(y)); }
          else { d = collator.compare(x, y); }
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

  /* --------------------------------------------------------------- network */
  var COLOURS = {
    Cluster: "#1f77b4", InterClusterNetwork: "#d62728", Project: "#2ca02c", Programme: "#17becf",
    FundingScheme: "#8c9a2b", Mission: "#8c564b", SupportActivity: "#e377c2", Agreement: "#9467bd",
    PublicAuthority: "#555555", Person: "#111111", City: "#ff7f0e", Region: "#f5b041", Country: "#9aa3ad"
  };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function drawNetwork() {
    var box = document.getElementById("network");
    if (!box || typeof cytoscape === "undefined") { fail("network: cytoscape missing"); return; }
    var net = data.network;
    var n = net.nodes.length;
    var elements = net.nodes.map(function (node) {
      return {group: "nodes", data: {id: node.id, label: node.label, kind: node.kind, href: node.href,
              degree: node.degree, short: node.short}, position: {x: node.x, y: node.y}};
    }).concat(net.edges.map(function (e) {
      return {group: "edges", data: {id: e.id, source: e.source, target: e.target, label: e.label, type: e.type}};
    }));
    var cy = cytoscape({
      container: box, elements: elements, minZoom: 0.05, maxZoom: 4, hideEdgesOnViewport: n > 150,
      style: [
        {selector: "node", style: {
          "label": "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 110,
          "text-valign": "bottom", "text-margin-y": 3, "color": "#1d2733",
          "text-outline-color": "#fff", "text-outline-width": 2, "min-zoomed-font-size": n > 150 ? 6 : 0,
          "background-color": function (ele) { return COLOURS[ele.data("kind")] || "#888"; },
          "width": function (ele) { return 10 + 3 * Math.sqrt(ele.data("degree")); },
          "height": function (ele) { return 10 + 3 * Math.sqrt(ele.data("degree")); }}},
        {selector: "node[kind = 'Cluster']", style: {"shape": "round-rectangle", "font-weight": "bold", "font-size": 12}},
        {selector: "node[kind = 'InterClusterNetwork']", style: {"shape": "diamond"}},
        {selector: "edge", style: {
          "curve-style": "bezier", "width": 1.2, "line-color": "#aab3bf", "target-arrow-color": "#aab3bf",
          "target-arrow-shape": "triangle", "arrow-scale": 0.8, "label": "data(label)", "font-size": 8,
          "color": "#5b6776", "text-rotation": "autorotate", "text-outline-color": "#fff", "text-outline-width": 2,
          "min-zoomed-font-size": 9}},
        {selector: ".faded", style: {"opacity": 0.12}},
        {selector: "node:selected", style: {"border-width": 3, "border-color": "#1d2733"}}
      ],
      layout: {name: "preset", fit: true, padding: 20}  /* positions computed by clusterkg (Kamada-Kawai) */
    });
    window.clusterkgNetwork = cy;
    cy.resize();  /* the container's final size */
    cy.fit(undefined, 20);

    /* filters */
    var typeBox = document.getElementById("network-types");
    var types = net.types || {};
    Object.keys(types).sort(function (a, b) { return collator.compare(types[a], types[b]); }).forEach(function (t) {
      var label = el("label");
      var input = el("input", {type: "checkbox", value: t});
      input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + types[t]));
      typeBox.appendChild(label);
    });
    var select = document.getElementById("network-cluster");
    net.nodes.filter(function (x) { return x.kind === "Cluster"; })
      .sort(function (a, b) { return collator.compare(a.label, b.label); })
      .forEach(function (x) { select.appendChild(el("option", {value: x.id}, x.label)); });

    function applyFilters() {
      var on = {};
      Array.prototype.forEach.call(typeBox.querySelectorAll("input"), function (i) { on[i.value] = i.checked; });
      cy.batch(function () {
        cy.edges().forEach(function (e) { e.style("display", on[e.data("type")] === false ? "none" : "element"); });
        var shownEdges = cy.edges().filter(function (e) { return e.style("display") !== "none"; });
        var focus = select.value ? cy.getElementById(select.value) : null;
        var keep;
        if (focus && focus.length) {
          var ties = focus.connectedEdges().intersection(shownEdges);
          keep = ties.connectedNodes().union(focus);
          shownEdges.forEach(function (e) { if (!keep.contains(e.source()) || !keep.contains(e.target())) e.style("display", "none"); });
        } else {
          keep = shownEdges.connectedNodes();
        }
        cy.nodes().forEach(function (node) { node.style("display", keep.contains(node) ? "element" : "none"); });
      });
      var visible = cy.elements().filter(function (x) { return x.style("display") !== "none"; });
      if (visible.length) cy.fit(visible, 30);
      box.setAttribute("data-visible-nodes", cy.nodes().filter(function (x) { return x.style("display") !== "none"; }).length);
    }
    typeBox.addEventListener("change", applyFilters);
    select.addEventListener("change", applyFilters);
    /* a link to one cluster's neighbourhood: index.html#network:IRI */
    var hash = decodeURIComponent(location.hash || "");
    if (hash.indexOf("#network:") === 0 && cy.getElementById(hash.slice(9)).length) {
      select.value = hash.slice(9);
      applyFilters();
    }
    document.getElementById("network-fit").addEventListener("click", function () { cy.fit(undefined, 30); });

    /* a node's ties */
    var panel = document.getElementById("network-panel");
    cy.on("tap", "node", function (evt) {
      var node = evt.target;
      panel.textContent = "";
      panel.appendChild(el("h4", {}, node.data("label")));
      panel.appendChild(el("div", {"class": "badge"}, (data.network.kinds || {})[node.data("kind")] || node.data("kind")));
      panel.appendChild(el("div", {"class": "iri"}, node.data("short")));
      if (node.data("href")) {
        var a = el("a", {href: node.data("href")}, words.open_page);
        panel.appendChild(el("p")).appendChild(a);
      }
      panel.appendChild(el("h4", {}, words.ties_of));
      var list = el("ul");
      node.connectedEdges().forEach(function (e) {
        var out = e.source().id() === node.id();
        var other = out ? e.target() : e.source();
        list.appendChild(el("li", {}, (out ? "→ " : "← ") + e.data("label") + " " + other.data("label")));
      });
      panel.appendChild(list);
      cy.elements().addClass("faded");
      node.closedNeighborhood().removeClass("faded");
    });
    cy.on("tap", function (evt) { if (evt.target === cy) cy.elements().removeClass("faded"); });

    box.setAttribute("data-nodes", cy.nodes().length);
    box.setAttribute("data-edges", cy.edges().length);
    if (!box.hasAttribute("data-visible-nodes")) box.setAttribute("data-visible-nodes", cy.nodes().length);
  }

  /* ------------------------------------------------------------------- map */
  function drawMap() {
    var box = document.getElementById("map");
    if (!box || typeof d3 === "undefined" || typeof topojson === "undefined") { fail("map: d3-geo or topojson missing"); return; }
    var geo = data.geo;
    var world = JSON.parse(document.getElementById("world-data").textContent);
    var countries = topojson.feature(world, world.objects.countries).features;
    var NS = "http://www.w3.org/2000/svg";
    var width = box.clientWidth || 900, height = box.clientHeight || 560;
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    box.appendChild(svg);
    var tip = document.getElementById("map-tip");
    function make(tag, cls, parent) {
      var e = document.createElementNS(NS, tag);
      if (cls) e.setAttribute("class", cls);
      (parent || svg).appendChild(e);
      return e;
    }
    function hover(node, text) {
      node.addEventListener("mousemove", function (ev) {
        var r = box.getBoundingClientRect();
        tip.style.display = "block";
        tip.style.left = (ev.clientX - r.left + 12) + "px";
        tip.style.top = (ev.clientY - r.top + 12) + "px";
        tip.textContent = text;
      });
      node.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    }
    var byId = {};
    geo.points.forEach(function (p) { byId[p.id] = p; });
    var tied = geo.countries || {};

    /* fit: the points (and the tied countries), else the world */
    var fitTo = {type: "FeatureCollection", features: []};
    geo.points.forEach(function (p) {
      fitTo.features.push({type: "Feature", geometry: {type: "Point", coordinates: [p.lon, p.lat]}});
    });
    if (fitTo.features.length < 2) {
      countries.forEach(function (c) { if (tied[c.id] || fitTo.features.length === 0) fitTo.features.push(c); });
      if (!Object.keys(tied).length) fitTo = {type: "Sphere"};
    }
    var projection = d3.geoNaturalEarth1().fitExtent([[40, 30], [width - 110, height - 30]], fitTo);
    var path = d3.geoPath(projection);

    var gLand = make("g"), gArcs = make("g"), gPoints = make("g");
    var land = countries.map(function (c) {
      var p = make("path", "land" + (tied[c.id] ? " tied" : ""), gLand);
      hover(p, (tied[c.id] || (c.properties && c.properties.name) || ""));
      return {el: p, feature: c};
    });
    var arcs = geo.arcs.filter(function (a) { return byId[a.from] && byId[a.to]; }).map(function (a) {
      var p = make("path", "arc", gArcs);
      hover(p, byId[a.from].label + " – " + byId[a.to].label + ": " + a.labels.join("; "));
      return {el: p, line: {type: "LineString", coordinates: [[byId[a.from].lon, byId[a.from].lat], [byId[a.to].lon, byId[a.to].lat]]}};
    });
    var points = geo.points.map(function (p) {
      var c = make("circle", "place" + (p.region ? " region" : ""), gPoints);
      c.setAttribute("r", 4 + Math.min(6, p.what.length));
      c.setAttribute("data-id", p.id);
      hover(c, p.label + (p.what.length ? ": " + p.what.join(", ") : ""));
      var t = make("text", "", gPoints);
      t.textContent = p.label;
      return {c: c, t: t, p: p};
    });
    function redraw() {
      land.forEach(function (x) { x.el.setAttribute("d", path(x.feature) || ""); });
      arcs.forEach(function (x) { x.el.setAttribute("d", path(x.line) || ""); });
      points.forEach(function (x) {
        var xy = projection([x.p.lon, x.p.lat]);
        x.c.setAttribute("cx", xy[0]); x.c.setAttribute("cy", xy[1]);
        x.t.setAttribute("x", xy[0] + 7); x.t.setAttribute("y", xy[1] + 4);
      });
      declutter();
    }
    /* labels: the busiest places first; a label that would overlap one already
       shown is hidden (zoom in to see it; its dot keeps its tooltip) */
    var order = null;
    function declutter() {
      if (!order) {
        order = points.slice().sort(function (a, b) { return b.p.what.length - a.p.what.length || collator.compare(a.p.label, b.p.label); });
      }
      var kept = [];
      order.forEach(function (x) {
        x.t.style.display = "";
        var b = x.t.getBBox();
        var clash = b.x < 0 || b.x + b.width > width || kept.some(function (k) {
          return b.x < k.x + k.width && k.x < b.x + b.width && b.y < k.y + k.height && k.y < b.y + b.height;
        });
        if (clash) { x.t.style.display = "none"; } else { kept.push(b); }
      });
      box.setAttribute("data-labels", kept.length);
    }
    redraw();

    /* zoom (wheel) and pan (drag): the projection's scale and translation */
    function local(ev) {
      var r = svg.getBoundingClientRect();
      return [(ev.clientX - r.left) * width / r.width, (ev.clientY - r.top) * height / r.height];
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var k = Math.exp(-ev.deltaY * 0.0015), at = local(ev), t = projection.translate();
      projection.scale(projection.scale() * k).translate([at[0] - (at[0] - t[0]) * k, at[1] - (at[1] - t[1]) * k]);
      redraw();
    }, {passive: false});
    var drag = null;
    svg.addEventListener("mousedown", function (ev) { drag = {at: local(ev), t: projection.translate()}; svg.style.cursor = "grabbing"; });
    window.addEventListener("mouseup", function () { drag = null; svg.style.cursor = ""; });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      var at = local(ev);
      projection.translate([drag.t[0] + at[0] - drag.at[0], drag.t[1] + at[1] - drag.at[1]]);
      redraw();
    });
    var drawn = {};
    countries.forEach(function (c) { drawn[c.id] = true; });
    var missing = Object.keys(tied).filter(function (id) { return !drawn[id]; }).map(function (id) { return tied[id]; });
    if (missing.length) {
      document.getElementById("map-missing").textContent = words.map_missing + " " + missing.sort(collator.compare).join(", ") + ".";
    }
    box.setAttribute("data-places", points.length);
    box.setAttribute("data-arcs", arcs.length);
    box.setAttribute("data-countries", land.filter(function (x) { return tied[x.feature.id]; }).length);
  }

  function run(name, f) {
    var started = performance.now();
    try { f(); } catch (e) { fail(name + ": " + (e && e.stack || e)); }
    root.setAttribute("data-ms-" + name, String(Math.round(performance.now() - started)));
  }
  root.setAttribute("data-ms-scripts", String(Math.round(performance.now())));
  run("network", drawNetwork);
  run("map", drawMap);
  root.setAttribute("data-rendered", "1");
  root.setAttribute("data-render-ms", String(Math.round(performance.now())));
})();
