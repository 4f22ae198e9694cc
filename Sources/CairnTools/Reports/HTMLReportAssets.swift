/// The stylesheet and script of Cairn's HTML reports, written here and inlined into every report so that a
/// report is one file that opens anywhere, offline, with no fetches.
enum HTMLReportAssets {
    static let css = """
    :root { --keyed: #3b6fb6; --operator: #3f9b5a; --inflight: #e08a1e; --coordinator: #8a8f98; --bg: #fbfbfa; --fg: #1d2330;
            --muted: #6b7280; --line: #e3e5e8; --added: #2f8f4e; --removed: #c2410c; --changed: #b7791f; }
    * { box-sizing: border-box; }
    body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
    h1 { font-size: 22px; margin: 0 0 4px; }
    h2 { font-size: 16px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
    .sub { color: var(--muted); margin-bottom: 16px; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 140px; }
    .card .v { font-size: 18px; font-weight: 600; }
    .card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin: 4px 0 8px; }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
    svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
    svg .muted { fill: var(--muted); }
    table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); font-variant-numeric: tabular-nums; }
    th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; }
    th { font-weight: 600; background: #f3f4f6; }
    td.n { text-align: right; }
    .added { color: var(--added); } .removed { color: var(--removed); } .changed { color: var(--changed); } .unchanged { color: var(--muted); }
    .backward { color: #fff; background: var(--removed); border-radius: 3px; padding: 0 5px; font-weight: 600; }
    .note { color: var(--muted); font-size: 12px; }
    .aggregated { background: #fff7e6; border: 1px solid #f3d19c; border-radius: 6px; padding: 8px 12px; margin: 8px 0 16px; }
    .filter { margin: 8px 0; display: flex; gap: 12px; align-items: center; }
    .filter input { font: inherit; padding: 4px 8px; width: 360px; border: 1px solid var(--line); border-radius: 4px; }
    td.hot { color: #fff; }
    #tip { position: fixed; pointer-events: none; background: #111827; color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 12px;
           white-space: pre; display: none; z-index: 10; }
    """

    static let script = #"""
    "use strict";
    (function () {
      // Integers beyond 2^53 (Kafka markers, number-sequence ends) keep their exact digits as text where the
      // browser gives the source text to the reviver.
      const data = JSON.parse(document.getElementById("cairn-data").textContent, (k, v, ctx) =>
        typeof v === "number" && !Number.isSafeInteger(v) && Number.isInteger(v) && ctx && ctx.source ? ctx.source : v);
      const kind = document.body.dataset.kind;
      const NS = "http://www.w3.org/2000/svg";
      const root = document.getElementById("report");
      const tip = document.getElementById("tip");

      function human(n) {
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let v = Math.abs(n), u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        const s = u === 0 ? String(v) : v.toPrecision(3);
        return (n < 0 ? "−" : "") + s + " " + units[u];
      }
      function exact(n) { return n.toLocaleString("en-US") + " bytes"; }
      function el(tag, attrs, text) {
        const e = document.createElement(tag);
        for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function svg(tag, attrs, text) {
        const e = document.createElementNS(NS, tag);
        for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function hover(node, text) {
        node.addEventListener("mousemove", ev => { tip.textContent = text; tip.style.display = "block";
          tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 10) + "px"; });
        node.addEventListener("mouseleave", () => { tip.style.display = "none"; });
        node.appendChild(svg("title", {}, text));
      }
      function section(title, note) {
        root.appendChild(el("h2", {}, title));
        if (note) root.appendChild(el("div", { class: "note" }, note));
      }
      function legend(items) {
        const d = el("div", { class: "legend" });
        for (const [label, color] of items) {
          const s = el("span"); const i = el("i"); i.style.background = color; s.appendChild(i); s.append(label); d.appendChild(s);
        }
        root.appendChild(d);
      }
      function card(parent, k, v, title) {
        const c = el("div", { class: "card" }); c.appendChild(el("div", { class: "k" }, k));
        const vv = el("div", { class: "v" }, v); if (title) vv.title = title; c.appendChild(vv); parent.appendChild(c);
      }
      function label(op) { return op.uid && op.uid !== op.name ? op.name + "  [" + op.uid + "]" : (op.name || op.uid || op.id); }
      function table(headers, rows, numeric) {
        const t = el("table"); const h = el("tr");
        headers.forEach(x => h.appendChild(el("th", {}, x))); t.appendChild(h);
        for (const r of rows) {
          const tr = el("tr");
          r.forEach((c, i) => { const td = el("td", numeric && numeric[i] ? { class: "n" } : {});
            if (c instanceof Node) td.appendChild(c); else td.textContent = c; tr.appendChild(td); });
          t.appendChild(tr);
        }
        root.appendChild(t);
      }
      const colors = { keyed: "var(--keyed)", operator: "var(--operator)", inflight: "var(--inflight)", coordinator: "var(--coordinator)" };

      // Horizontal stacked bars, one row per item: parts = [[name, bytes, color]].
      function stackedBars(rows, width) {
        const labelW = 300, barW = width - labelW - 110, rowH = 22;
        const max = Math.max(1, ...rows.map(r => r.parts.reduce((a, p) => a + p[1], 0)));
        const s = svg("svg", { width, height: rows.length * rowH + 6, role: "img" });
        rows.forEach((r, i) => {
          const y = i * rowH + 3;
          s.appendChild(svg("text", { x: 0, y: y + 14 }, r.label.length > 44 ? r.label.slice(0, 43) + "…" : r.label));
          let x = labelW; let total = 0;
          for (const [name, bytes, color] of r.parts) {
            total += bytes;
            if (bytes <= 0) continue;
            const w = Math.max(1, bytes / max * barW);
            const rect = svg("rect", { x, y, width: w, height: rowH - 6, fill: color, rx: 2 });
            hover(rect, r.label + "\n" + name + ": " + human(bytes) + " (" + exact(bytes) + ")");
            s.appendChild(rect); x += w;
          }
          const t = svg("text", { x: x + 6, y: y + 14, class: "muted" }, human(total));
          hover(t, r.label + "\ntotal: " + exact(total)); s.appendChild(t);
        });
        root.appendChild(s);
      }

      // Subtask × operator heat map, each row shaded against its own largest subtask so skew stands out.
      function heatMap(ops) {
        const rows = ops.filter(o => o.subtasks && o.subtasks.length > 0);
        if (rows.length === 0) { root.appendChild(el("div", { class: "note" }, "No subtasks hold state.")); return; }
        const cols = Math.max(...rows.map(o => o.parallelism));
        const labelW = 300, cell = Math.max(8, Math.min(28, Math.floor(900 / Math.max(1, cols)))), rowH = 22;
        const s = svg("svg", { width: labelW + cols * cell + 160, height: rows.length * rowH + 24, role: "img" });
        for (let c = 0; c < cols; c += Math.max(1, Math.ceil(cols / 16)))
          s.appendChild(svg("text", { x: labelW + c * cell + 2, y: 12, class: "muted" }, String(c)));
        rows.forEach((o, i) => {
          const y = 18 + i * rowH; const name = label(o);
          s.appendChild(svg("text", { x: 0, y: y + 14 }, name.length > 44 ? name.slice(0, 43) + "…" : name));
          const sizes = o.subtasks.map(t => t.stateSize); const max = Math.max(1, ...sizes);
          const mean = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
          for (const t of o.subtasks) {
            const f = t.stateSize / max;
            const fill = t.finished ? "#e5e7eb" : "rgb(" + Math.round(255 - 200 * f) + "," + Math.round(245 - 150 * f) + "," + Math.round(240 - 60 * f) + ")";
            const r = svg("rect", { x: labelW + t.index * cell, y, width: cell - 2, height: rowH - 4, fill, rx: 2 });
            hover(r, name + "\nsubtask " + t.index + (t.finished ? " (finished)" : "") + "\n" + human(t.stateSize) + " (" + exact(t.stateSize) + ")" +
              (mean > 0 ? "\n" + (t.stateSize / mean).toFixed(2) + "× the operator's mean" : ""));
            s.appendChild(r);
          }
          const skew = o.skew == null ? "" : "skew " + o.skew.toFixed(2) + "×";
          s.appendChild(svg("text", { x: labelW + cols * cell + 8, y: y + 14, class: "muted" }, skew));
        });
        root.appendChild(s);
      }

      // Column chart of bytes per key group of one operator; a row with `last` is a run of key groups summed.
      function keyGroupStrip(name, rows) {
        const width = 1000, h = 80, max = Math.max(1, ...rows.map(r => r.size));
        const end = r => r.last == null ? r.keyGroup : r.last;
        const maxKG = Math.max(...rows.map(end)) + 1, w = width / maxKG;
        const s = svg("svg", { width: width + 10, height: h + 20, role: "img" });
        for (const r of rows) {
          const bh = Math.max(1, r.size / max * h);
          const rect = svg("rect", { x: r.keyGroup * w, y: h - bh, width: Math.max(1, (end(r) - r.keyGroup + 1) * w - 0.5), height: bh, fill: "var(--keyed)" });
          const which = r.last == null ? "key group " + r.keyGroup + " (subtask " + r.subtask + ")" : "key groups " + r.keyGroup + "–" + r.last;
          hover(rect, name + "\n" + which + "\n" + human(r.size) + " (" + exact(r.size) + "), " + r.entries + " entries");
          s.appendChild(rect);
        }
        s.appendChild(svg("text", { x: 0, y: h + 16, class: "muted" }, "key group 0"));
        s.appendChild(svg("text", { x: width - 90, y: h + 16, class: "muted" }, "key group " + (maxKG - 1)));
        root.appendChild(el("div", { class: "note" }, name)); root.appendChild(s);
      }

      function count(n) { return Number(n).toLocaleString("en-US"); }
      function shade(f) { return "rgb(" + Math.round(255 - 200 * f) + "," + Math.round(245 - 150 * f) + "," + Math.round(240 - 60 * f) + ")"; }
      function sizeParts(o) {
        return [["keyed", o.keyedSize, colors.keyed], ["operator state", o.operatorSize, colors.operator],
          ["in-flight", o.inFlightSize, colors.inflight], ["coordinator", o.coordinatorSize, colors.coordinator]];
      }

      // The aggregated heat map: per operator its subtasks in runs (bins = [first, last, largest, total, finished]),
      // each cell shaded by the run's largest subtask against the operator's largest, percentiles beside the row.
      function binnedHeatMap(ops) {
        const rows = ops.filter(o => o.bins && o.bins.length > 0);
        if (rows.length === 0) { root.appendChild(el("div", { class: "note" }, "No subtasks hold state.")); return; }
        const cols = Math.max(...rows.map(o => o.bins.length)), ref = rows.find(o => o.bins.length === cols);
        const labelW = 300, cell = Math.max(8, Math.min(28, Math.floor(760 / cols))), rowH = 22;
        const s = svg("svg", { width: labelW + cols * cell + 330, height: rows.length * rowH + 24, role: "img", class: "binned-heat-map" });
        for (let c = 0; c < cols; c += Math.max(1, Math.ceil(cols / 16)))
          s.appendChild(svg("text", { x: labelW + c * cell + 2, y: 12, class: "muted" }, String(ref.bins[c][0])));
        rows.forEach((o, i) => {
          const y = 18 + i * rowH, name = label(o), d = o.distribution;
          s.appendChild(svg("text", { x: 0, y: y + 14 }, name.length > 44 ? name.slice(0, 43) + "…" : name));
          const max = Math.max(1, ...o.bins.map(b => b[2]));
          o.bins.forEach((b, c) => {
            const [first, last, largest, total, finished] = b, n = last - first + 1;
            const r = svg("rect", { x: labelW + c * cell, y, width: cell - 2, height: rowH - 4, fill: finished === n ? "#e5e7eb" : shade(largest / max), rx: 2 });
            hover(r, name + "\nsubtasks " + first + "–" + last + (finished ? " (" + finished + " finished)" : "") + "\nlargest " + human(largest) +
              ", total " + human(total) + ", mean " + human(Math.round(total / n)));
            s.appendChild(r);
          });
          const stats = "p50 " + human(d.p50) + " · p99 " + human(d.p99) + " · max " + human(d.max) + (o.skew == null ? "" : " · skew " + o.skew.toFixed(2) + "×");
          s.appendChild(svg("text", { x: labelW + cols * cell + 8, y: y + 14, class: "muted" }, stats));
        });
        root.appendChild(s);
      }

      // Every operator (up to the page's limit) with its subtask percentiles shaded against its largest subtask,
      // and a box that filters the rows by name, uid or id.
      function operatorTable(rows, a) {
        const box = el("div", { class: "filter" });
        const input = el("input", { type: "search", id: "operator-filter", placeholder: "Filter by name, uid or id", "aria-label": "Filter operators" });
        const shown = el("span", { class: "note", id: "operator-count" });
        box.appendChild(input); box.appendChild(shown); root.appendChild(box);
        const t = el("table", { id: "operator-table" }), h = el("tr");
        ["operator", "uid", "parallelism", "state", "keyed", "operator state", "in-flight", "min", "p50", "p90", "p99", "max", "skew"]
          .forEach(x => h.appendChild(el("th", {}, x)));
        t.appendChild(h);
        const entries = [];
        for (const [name, uid, id, par, state, keyed, opState, inFlight, mn, p50, p90, p99, mx, skew] of rows) {
          const tr = el("tr"), first = el("td", {}, name || uid || id);
          first.title = id; tr.appendChild(first); tr.appendChild(el("td", {}, uid));
          tr.appendChild(el("td", { class: "n" }, String(par)));
          for (const v of [state, keyed, opState, inFlight]) { const td = el("td", { class: "n" }, human(v)); td.title = exact(v); tr.appendChild(td); }
          for (const v of [mn, p50, p90, p99, mx]) {
            const f = mx > 0 ? v / mx : 0, td = el("td", { class: f > 0.6 ? "n hot" : "n" }, human(v));
            td.style.background = shade(f); td.title = exact(v); tr.appendChild(td);
          }
          tr.appendChild(el("td", { class: "n" }, skew == null ? "–" : skew.toFixed(2) + "×"));
          t.appendChild(tr);
          entries.push([tr, (name + " " + uid + " " + id).toLowerCase()]);
        }
        root.appendChild(t);
        const update = () => {
          const q = input.value.trim().toLowerCase();
          let n = 0;
          for (const [tr, text] of entries) { const on = q === "" || text.includes(q); tr.style.display = on ? "" : "none"; if (on) n++; }
          shown.textContent = count(n) + " of " + count(entries.length) + " operators";
        };
        // A link may carry a filter: REPORT.html#filter=TEXT.
        const linked = /^#filter=(.*)$/.exec(location.hash);
        if (linked) input.value = decodeURIComponent(linked[1]);
        input.addEventListener("input", update); update();
        if (a.tableRows < a.operators)
          root.appendChild(el("div", { class: "note" }, "The table lists the " + count(a.tableRows) + " largest of " + count(a.operators) + " operators; cairn inspect --json lists all."));
      }

      function positionText(p) {
        if (!p) return "";
        switch (p.type) {
          case "kafka": return p.topic + "/" + p.partition + " @ " + p.nextOffset;
          case "numberSequence": return "next " + p.next + " of " + p.last;
          case "kinesis": return p.shardId + " @ " + p.sequenceNumber;
          default: return (p.serializer || "") + " v" + (p.serializerVersion || 0);
        }
      }

      function inspect() {
        const s = data.snapshot, t = data.totals;
        document.getElementById("title").textContent = "Snapshot " + s.id + " — " + s.kind + " of " + (s.jobName || s.jobId || "a job");
        document.getElementById("subtitle").textContent = data.source + " · " + data.format + " · " + s.engine + " " + s.engineVersion + " · " + s.mode;
        const cards = el("div", { class: "cards" }); root.appendChild(cards);
        card(cards, "state", human(t.stateSize), exact(t.stateSize));
        card(cards, "keyed", human(t.keyedSize), exact(t.keyedSize));
        card(cards, "operator state", human(t.operatorSize), exact(t.operatorSize));
        card(cards, "in-flight", human(t.inFlightSize), exact(t.inFlightSize));
        card(cards, "operators", String(t.operators)); card(cards, "subtasks", String(t.subtasks));

        // A snapshot past the report's limits comes aggregated (data.aggregation says how); the page says so first.
        const agg = data.aggregation;
        if (agg) root.appendChild(el("div", { class: "aggregated", id: "aggregation" },
          "Aggregated: " + agg.note + ". cairn inspect --json lists every operator and subtask."));
        const ops = data.operators.slice().sort((a, b) => b.stateSize - a.stateSize);
        section("State by operator", agg
          ? "The " + ops.length + " largest of " + count(agg.operators) + " operators" + (agg.others.count > 0 ? ", the " + count(agg.others.count) + " others summed in the last row" : "") +
            "; keyed, operator, in-flight and coordinator state stacked. Hover for exact bytes."
          : "Sorted by size; keyed, operator, in-flight and coordinator state stacked. Hover for exact bytes.");
        legend([["keyed", colors.keyed], ["operator", colors.operator], ["in-flight", colors.inflight], ["coordinator", colors.coordinator]]);
        const bars = ops.map(o => ({ label: label(o), parts: sizeParts(o) }));
        if (agg && agg.others.count > 0) bars.push({ label: count(agg.others.count) + " others", parts: sizeParts(agg.others) });
        stackedBars(bars, 1100);

        if (agg) {
          section("Subtask × operator", "The " + ops.length + " largest operators, their subtasks in runs of consecutive indices (at most " + agg.bins +
            " per row); each cell shaded by the run's largest subtask against the operator's largest: a dark cell in a pale row is skew. Grey: finished.");
          binnedHeatMap(ops);
          section("All operators", "Subtask percentiles (nearest rank) shaded against each operator's largest subtask. Type to filter.");
          operatorTable(data.table, agg);
        } else {
          section("Subtask × operator", "Each row shaded against its largest subtask: a dark cell in a pale row is skew. Grey: finished subtask.");
          heatMap(ops);
        }

        const states = (data.states || []).slice().sort((a, b) => b.size - a.size);
        if (states.length > 0) {
          section("State by name", (agg ? "The largest states of the " + ops.length + " operators above (" + count(agg.states) + " states in all). " : "") +
            "Per state of each operator" + (states.some(x => x.statistics) ? ", with entry statistics from the scan." : "; inspect --deep --html scans Flink keyed state too."));
          stackedBars(states.slice(0, 60).map(x => ({ label: x.operator + " / " + x.name + " (" + x.kind + ")",
            parts: [[x.kind, x.size, ["operator-list", "operator-union", "broadcast"].includes(x.kind) ? colors.operator : colors.keyed]] })), 1100);
        }

        const kg = data.keyGroups || [];
        if (kg.length > 0) {
          section("Bytes per key group", "From the scan (--deep); a tall column is a hot key group.");
          const byOp = new Map();
          for (const r of kg) { if (!byOp.has(r.operatorId)) byOp.set(r.operatorId, []); byOp.get(r.operatorId).push(r); }
          for (const [id, rows] of byOp) keyGroupStrip(rows[0].operator, rows);
        }

        const offsets = data.offsets || [];
        if (offsets.length > 0) {
          section("Source offsets per split", agg && agg.offsets > offsets.length ? "The first " + count(offsets.length) + " of " + count(agg.offsets) +
            " splits, of the operators above; cairn inspect --json lists all." : undefined);
          table(["operator", "subtask", "split", "position"], offsets.map(o => [o.operator, String(o.subtask), o.splitId, positionText(o)]), [false, true]);
        }
      }

      function diff() {
        document.getElementById("title").textContent = "Snapshot " + data.a.snapshot + " → " + data.b.snapshot;
        document.getElementById("subtitle").textContent = data.a.source + "  →  " + data.b.source;
        const cards = el("div", { class: "cards" }); root.appendChild(cards);
        card(cards, "state before", human(data.stateSize.before), exact(data.stateSize.before));
        card(cards, "state after", human(data.stateSize.after), exact(data.stateSize.after));
        card(cards, "change", (data.stateSize.delta >= 0 ? "+" : "") + human(data.stateSize.delta), exact(data.stateSize.delta));
        card(cards, "in-flight after", human(data.inFlightSize.after), exact(data.inFlightSize.after));
        card(cards, "splits backward", String(data.backwardSplits));
        if (data.files) card(cards, "files new / shared", data.files.new.files + " / " + data.files.shared.files,
          human(data.files.new.bytes) + " new, " + human(data.files.shared.bytes) + " shared");

        const ops = data.operators.slice().sort((a, b) => Math.max(b.stateSize.before, b.stateSize.after) - Math.max(a.stateSize.before, a.stateSize.after));
        section("Growth by operator", "Before (light) and after (dark) per operator; hover for exact bytes and the change.");
        const width = 1100, labelW = 300, barW = width - labelW - 160, rowH = 30;
        const max = Math.max(1, ...ops.map(o => Math.max(o.stateSize.before, o.stateSize.after)));
        const s = svg("svg", { width, height: ops.length * rowH + 6, role: "img" });
        ops.forEach((o, i) => {
          const info = o.after || o.before, y = i * rowH + 3, name = label(Object.assign({ id: o.id }, info));
          const t = svg("text", { x: 0, y: y + 16, class: o.status }, (name.length > 40 ? name.slice(0, 39) + "…" : name) + (o.status === "unchanged" ? "" : "  (" + o.status + ")"));
          s.appendChild(t);
          const b = svg("rect", { x: labelW, y, width: Math.max(1, o.stateSize.before / max * barW), height: 11, fill: "#b9cbe6", rx: 2 });
          hover(b, name + "\nbefore: " + human(o.stateSize.before) + " (" + exact(o.stateSize.before) + ")"); s.appendChild(b);
          const a = svg("rect", { x: labelW, y: y + 12, width: Math.max(1, o.stateSize.after / max * barW), height: 11, fill: "var(--keyed)", rx: 2 });
          hover(a, name + "\nafter: " + human(o.stateSize.after) + " (" + exact(o.stateSize.after) + ")\nchange: " + exact(o.stateSize.delta)); s.appendChild(a);
          const d = o.stateSize.delta;
          s.appendChild(svg("text", { x: labelW + barW + 8, y: y + 16, class: d > 0 ? "removed" : d < 0 ? "added" : "muted" }, d === 0 ? "=" : (d > 0 ? "+" : "") + human(d)));
        });
        root.appendChild(s);

        const states = [];
        for (const o of data.operators) for (const st of o.states || []) if (st.status !== "unchanged") states.push([o, st]);
        if (states.length > 0) {
          section("Changed states");
          table(["operator", "state", "change", "size", "Δ", "value serializer"], states.map(([o, st]) => {
            const info = o.after || o.before, sp = el("span", { class: st.status }, st.status + (st.kindChanged ? ", kind" : "") + (st.serializerChanged ? ", serializer" : "") + (st.schemaChanged ? ", schema" : ""));
            const vs = x => x ? x.name.split(".").pop() + " v" + x.version : "–";
            return [info.name || info.uid, st.name, sp, human(st.size.after), (st.size.delta >= 0 ? "+" : "") + human(st.size.delta),
              vs(st.valueSerializer.before) + " → " + vs(st.valueSerializer.after)];
          }), [false, false, false, true, true]);
        }
        const splits = [];
        for (const o of data.operators) for (const sp of o.splits || []) splits.push([o, sp]);
        if (splits.length > 0) {
          section("Source splits", "Records advanced per split; a split that went backward is marked.");
          table(["operator", "split", "before", "after", "advanced", ""], splits.map(([o, sp]) => {
            const info = o.after || o.before;
            return [info.name || info.uid, sp.splitId, positionText(sp.before), positionText(sp.after), sp.advanced == null ? "" : String(sp.advanced),
              sp.backward ? el("span", { class: "backward" }, "BACKWARD") : el("span", { class: sp.status }, sp.status)];
          }), [false, false, false, false, true]);
        }
        if (data.keys) {
          const k = data.keys;
          section("Keys of " + (k.operator.name || k.operator.uid) + " / " + k.state, k.keys.before + " → " + k.keys.after + " keys");
          const sample = list => list.map(x => x.text !== undefined ? JSON.stringify(x.text) : "0x" + x.hex).join(", ");
          table(["change", "keys", "samples"], [["added", String(k.added), sample(k.samples.added)], ["removed", String(k.removed), sample(k.samples.removed)],
            ["changed", String(k.changed), sample(k.samples.changed)], ["unchanged", String(k.unchanged), ""]], [false, true]);
        }
      }

      // Size over time: one line per series, or areas stacked in series order. series = [{ name, values: [bytes|null] }].
      const palette = ["#3b6fb6", "#e08a1e", "#3f9b5a", "#c2410c", "#7c3aed", "#0e9f9a", "#b7791f", "#db2777", "#64748b", "#8a8f98"];
      function timeChart(xs, labels, series, stacked) {
        const width = 1100, height = 300, left = 80, right = 20, top = 10, bottom = 40;
        const w = width - left - right, h = height - top - bottom;
        const n = xs.length, x0 = Math.min(...xs), x1 = Math.max(...xs);
        const X = i => left + (n === 1 || x1 === x0 ? w / 2 : (xs[i] - x0) / (x1 - x0) * w);
        const totals = xs.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
        const max = Math.max(1, ...(stacked ? totals : series.flatMap(s => s.values.map(v => v || 0))));
        const Y = v => top + h - v / max * h;
        const s = svg("svg", { width, height, role: "img", class: stacked ? "area-chart" : "line-chart" });
        for (let k = 0; k <= 4; k++) {
          const v = max * k / 4, y = Y(v);
          s.appendChild(svg("line", { x1: left, x2: left + w, y1: y, y2: y, stroke: "#e3e5e8" }));
          s.appendChild(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "muted" }, human(v)));
        }
        const step = Math.max(1, Math.ceil(n / 12));
        for (let i = 0; i < n; i += step) s.appendChild(svg("text", { x: X(i), y: height - 18, "text-anchor": "middle", class: "muted" }, labels[i]));
        const base = xs.map(() => 0);
        series.forEach((ser, k) => {
          const color = palette[k % palette.length];
          if (stacked) {
            const upper = ser.values.map((v, i) => base[i] + (v || 0));
            const pts = xs.map((_, i) => X(i) + "," + Y(upper[i])).concat(xs.map((_, j) => { const i = n - 1 - j; return X(i) + "," + Y(base[i]); }));
            const poly = svg("polygon", { points: pts.join(" "), fill: color, "fill-opacity": 0.75, stroke: color });
            hover(poly, ser.name + "\nlatest: " + human(ser.values[n - 1] || 0));
            s.appendChild(poly);
            upper.forEach((v, i) => base[i] = v);
          } else {
            let d = "";
            ser.values.forEach((v, i) => { if (v == null) return; d += (d === "" || ser.values[i - 1] == null ? "M" : "L") + X(i) + "," + Y(v); });
            s.appendChild(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2 }));
            ser.values.forEach((v, i) => {
              if (v == null) return;
              const c = svg("circle", { cx: X(i), cy: Y(v), r: 3, fill: color });
              hover(c, ser.name + "\ncheckpoint " + labels[i] + ": " + human(v) + " (" + exact(v) + ")"); s.appendChild(c);
            });
          }
        });
        root.appendChild(s);
        legend(series.map((ser, k) => [ser.name, palette[k % palette.length]]));
      }

      function history() {
        const cps = data.checkpoints, n = cps.length, last = cps[n - 1], first = cps[0];
        const job = last.jobId;
        document.getElementById("title").textContent = "History of " + n + " checkpoint" + (n === 1 ? "" : "s") + (job ? " — job " + job : "");
        document.getElementById("subtitle").textContent = data.sources.join(" · ") + (data.deep ? " · --deep" : "");
        const cards = el("div", { class: "cards" }); root.appendChild(cards);
        card(cards, "checkpoints", String(n));
        card(cards, "latest full size", human(last.stateSize), exact(last.stateSize));
        card(cards, "change since first", (last.stateSize >= first.stateSize ? "+" : "") + human(last.stateSize - first.stateSize), exact(last.stateSize - first.stateSize));
        card(cards, "latest in-flight", human(last.inFlightSize), exact(last.inFlightSize));
        card(cards, "flags", String(data.flags.length));

        section("Flags", data.flags.length === 0 ? "Nothing at these thresholds." : "Each with its evidence: where, between which checkpoints, and the numbers.");
        if (data.flags.length > 0)
          table(["flag", "where", "evidence", "checkpoints", "per hour"], data.flags.map(f => [el("span", { class: "backward" }, f.kind),
            f.operator + (f.state ? " / " + f.state : "") + (f.split ? " / split " + f.split : ""), f.message, f.from + " → " + f.to,
            f.ratePerHour == null ? "" : human(f.ratePerHour) + "/h"]), [false, false, false, false, true]);

        const timed = cps.every(c => c.time != null);
        const xs = cps.map((c, i) => timed ? c.time : i), labels = cps.map(c => c.id);
        // Operators by latest size; the largest 8 drawn, the rest summed.
        const ops = new Map();
        cps.forEach((c, i) => c.operators.forEach(o => {
          if (!ops.has(o.id)) ops.set(o.id, { name: o.name || o.uid || o.id, values: cps.map(() => null), inFlight: cps.map(() => null), states: new Map() });
          const e = ops.get(o.id); e.values[i] = o.stateSize; e.inFlight[i] = o.inFlightSize; e.name = o.name || o.uid || o.id;
          if (c.statesMeasured) for (const st of o.states) {
            if (st.size == null) continue;
            if (!e.states.has(st.name)) e.states.set(st.name, cps.map(() => null));
            e.states.get(st.name)[i] = st.size;
          }
        }));
        const latest = e => { for (let i = n - 1; i >= 0; i--) if (e.values[i] != null) return e.values[i]; return 0; };
        const ranked = [...ops.values()].sort((a, b) => latest(b) - latest(a));
        const shown = ranked.slice(0, 8), rest = ranked.slice(8);
        const opSeries = shown.map(e => ({ name: e.name, values: e.values }));
        if (rest.length > 0) opSeries.push({ name: rest.length + " others", values: cps.map((_, i) => rest.reduce((a, e) => a + (e.values[i] || 0), 0)) });

        section("Size per operator over time", "Full size (Flink's Full Checkpoint Data Size) of the " + shown.length + " largest operators at the latest checkpoint" +
          (rest.length > 0 ? ", the others summed" : "") + ". Hover a point for exact bytes.");
        timeChart(xs, labels, opSeries, false);
        section("State stacked per operator", "What the checkpoint is made of, checkpoint by checkpoint.");
        timeChart(xs, labels, opSeries, true);

        const states = [];
        for (const e of ops.values()) for (const [name, values] of e.states) states.push({ name: e.name + " / " + name, values });
        if (states.some(s => s.values.some(v => v > 0))) {
          states.sort((a, b) => (b.values[n - 1] || 0) - (a.values[n - 1] || 0));
          const top = states.slice(0, 8), others = states.slice(8);
          if (others.length > 0) top.push({ name: others.length + " other states", values: cps.map((_, i) => others.reduce((a, s) => a + (s.values[i] || 0), 0)) });
          section("State stacked per state", "Per state of each operator where measured (native snapshots; Flink keyed state with --deep).");
          timeChart(xs, labels, top, true);
        } else {
          section("State stacked per state", "Per-state sizes were not measured: Flink keyed state needs history --deep.");
        }
        if (cps.some(c => c.inFlightSize > 0)) {
          section("In-flight bytes", "Buffers of unaligned checkpoints, per operator.");
          timeChart(xs, labels, ranked.filter(e => e.inFlight.some(v => v > 0)).slice(0, 8).map(e => ({ name: e.name, values: e.inFlight })), false);
        }
        section("Checkpoints");
        table(["checkpoint", "time", "kind", "full size", "checkpointed", "in-flight", "max skew", "records advanced"], cps.map(c => {
          const skews = c.operators.map(o => o.skew).filter(x => x != null);
          return [c.id, c.time == null ? "–" : new Date(c.time).toISOString(), c.kind, human(c.stateSize), human(c.checkpointedSize), human(c.inFlightSize),
            skews.length ? Math.max(...skews).toFixed(2) + "×" : "–", c.recordsAdvanced == null ? "–" : String(c.recordsAdvanced)];
        }), [false, false, false, true, true, true, true, true]);
      }

      if (kind === "diff") diff(); else if (kind === "history") history(); else inspect();
      document.body.dataset.rendered = "ok";
    })();
    """#
}
