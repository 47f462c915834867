// Tumble Studio page: edits the level on the server over a WebSocket and draws what the server sends.
// The level lives on the server; this page only sends edit operations and draws. Physics runs on the server.
"use strict";
(() => {
  const ROLES = ["neutral", "green", "blue", "red"];
  const DEG = Math.PI / 180;
  const DEFAULT_WALLS = { floor: 0.4, left: 0.0, right: 5.0, ceiling: 5.0 };
  const SIDES = ["floor", "left", "right", "ceiling"];
  // keyboard: [channel, value] per key; motor channels 0..3, thruster channels 4..5
  const KEYS = {
    ArrowLeft: [0, -1], ArrowRight: [0, 1], a: [1, -1], d: [1, 1], j: [2, -1], l: [2, 1], z: [3, -1], x: [3, 1],
    w: [4, 1], ArrowUp: [4, 1], s: [5, 1], ArrowDown: [5, 1],
  };

  const S = {
    ws: null, nextId: 1, pending: new Set(), callbacks: {}, connected: false,
    level: null, view: [-0.1, -0.1, 5.1, 5.1], style: null, canUndo: false, canRedo: false,
    mode: "edit", tool: "select", selection: null, drag: null, preview: null,
    snap: true, grid: 0.1,
    play: { geometry: null, frame: null, running: false, level: null },
    keys: new Set(), action: [0, 0, 0, 0, 0, 0], agent: null, messages: [],
  };
  window.studio = S; // for tests and debugging

  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");

  // ---------------------------------------------------------------------------------------------- connection
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    S.ws = ws;
    ws.onopen = () => { S.connected = true; status("connected"); send("list_files"); send("list_agents"); };
    ws.onclose = () => { S.connected = false; status("disconnected: reload the page to reconnect", true); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      S.messages.push(msg.type);
      receive(msg);
      if (msg.reply_to !== undefined) {
        const cb = S.callbacks[msg.reply_to];
        delete S.callbacks[msg.reply_to];
        S.pending.delete(msg.reply_to);
        if (cb) cb(msg);
      }
    };
  }

  function send(op, fields = {}, callback = null, track = true) {
    if (!S.ws || S.ws.readyState !== WebSocket.OPEN) { showErrors("not connected to the server"); return; }
    const msg = Object.assign({ op }, fields);
    if (track) {
      msg.id = S.nextId++;
      S.pending.add(msg.id);
      if (callback) S.callbacks[msg.id] = callback;
    }
    S.ws.send(JSON.stringify(msg));
  }

  function status(text, bad = false) { const el = $("status"); el.textContent = text; el.classList.toggle("bad", bad); }
  function notice(text) { $("notice").textContent = text || ""; }
  function showErrors(message, problems = []) {
    const ul = $("errors");
    ul.innerHTML = "";
    if (!message) return;
    for (const line of [message, ...problems]) {
      const li = document.createElement("li");
      li.textContent = line;
      ul.appendChild(li);
    }
  }

  function receive(msg) {
    switch (msg.type) {
      case "hello": S.style = msg.style; S.canvasSize = msg.canvas; break;
      case "level":
        S.level = msg.level; S.view = msg.view; S.style = msg.style || S.style;
        S.canUndo = msg.can_undo; S.canRedo = msg.can_redo; S.preview = null;
        if (msg.reply_to !== undefined) showErrors("");
        notice(msg.notice || "");
        if (S.selection && !entity(S.selection)) S.selection = null;
        if (S.mode === "play" && msg.reply_to !== undefined) setMode("edit", false);
        updateControls(); inspector(); draw();
        break;
      case "error": S.preview = null; showErrors(msg.message, msg.problems); draw(); break;
      case "files": fillFiles(msg); break;
      case "saved": notice(`saved ${msg.name} in the levels folder`); showErrors(""); break;
      case "confirm_overwrite":
        if (window.confirm(`${msg.name} exists in the levels folder. Overwrite it?`)) save(true);
        break;
      case "play":
        S.play.geometry = msg.geometry; S.play.level = msg.level; S.view = msg.view; S.style = msg.style || S.style;
        break;
      case "frame": S.play.frame = msg; hud(); if (S.mode === "play") draw(); break;
      case "running": S.play.running = msg.running; $("run").textContent = msg.running ? "Pause" : "Run"; break;
      case "agents": fillAgents(msg); break;
      case "agent": S.agent = msg.agent; notice(msg.agent ? `agent ${msg.agent} acts` : "the keyboard acts"); break;
    }
  }

  // ---------------------------------------------------------------------------------------------- geometry
  const rot = (a, v) => [Math.cos(a) * v[0] - Math.sin(a) * v[1], Math.sin(a) * v[0] + Math.cos(a) * v[1]];
  const add = (p, q) => [p[0] + q[0], p[1] + q[1]];
  const sub = (p, q) => [p[0] - q[0], p[1] - q[1]];
  const round6 = (x) => Math.round(x * 1e6) / 1e6;
  const snapv = (x) => (S.snap ? round6(Math.round(x / S.grid) * S.grid) : round6(x));

  function fittedView() {
    const [x0, y0, x1, y1] = S.view;
    const w = canvas.width, h = canvas.height;
    const scale = Math.min(w / (x1 - x0), h / (y1 - y0));
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hw = w / scale / 2, hh = h / scale / 2;
    return { x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh, scale };
  }
  function toScreen(p) { const v = fittedView(); return [(p[0] - v.x0) * v.scale, (v.y1 - p[1]) * v.scale]; }
  function toWorld(ev) {
    const r = canvas.getBoundingClientRect(), v = fittedView();
    const px = (ev.clientX - r.left) * canvas.width / r.width, py = (ev.clientY - r.top) * canvas.height / r.height;
    return [v.x0 + px / v.scale, v.y1 - py / v.scale];
  }

  function area(vs) { let a = 0; for (let i = 0; i < vs.length; i++) { const p = vs[i], q = vs[(i + 1) % vs.length]; a += p[0] * q[1] - q[0] * p[1]; } return a / 2; }
  const ccw = (vs) => (area(vs) < 0 ? vs.slice().reverse() : vs);
  function inset(vs, d) { // a convex counter-clockwise polygon moved inwards by d (null if nothing is left)
    if (d <= 0) return vs;
    const n = vs.length, lines = [];
    for (let i = 0; i < n; i++) {
      const p = vs[i], q = vs[(i + 1) % n], e = sub(q, p), len = Math.hypot(e[0], e[1]);
      if (len === 0) continue;
      const nrm = [-e[1] / len, e[0] / len]; // inward normal
      lines.push({ p: add(p, [nrm[0] * d, nrm[1] * d]), e });
    }
    const out = [];
    for (let i = 0; i < lines.length; i++) {
      const A = lines[(i + lines.length - 1) % lines.length], B = lines[i];
      const den = A.e[0] * B.e[1] - A.e[1] * B.e[0];
      if (Math.abs(den) < 1e-12) continue;
      const w = sub(B.p, A.p), t = (w[0] * B.e[1] - w[1] * B.e[0]) / den;
      out.push(add(A.p, [A.e[0] * t, A.e[1] * t]));
    }
    return out.length >= 3 && area(out) > 0 ? out : null;
  }

  function walls(level) {
    if (!level) return [];
    if (level.boundary === null) return [];
    const b = level.boundary || {};
    const out = [];
    for (const side of SIDES) {
      const w = side in b ? b[side] : { at: DEFAULT_WALLS[side] };
      if (w !== null) out.push({ side, at: w.at, role: w.role || "neutral" });
    }
    return out;
  }

  // the scene to draw, in world coordinates, from the level document (edit) or the streamed frame (play)
  function editScene(level) {
    const bodies = level.shapes.map((s, i) => {
      const pos = s.position || [0, 0], angle = s.angle || 0;
      const base = { index: i, kind: s.kind, role: s.role || "neutral", static: !!s.static, angle, pos };
      if (s.kind === "circle") return Object.assign(base, { r: s.radius });
      return Object.assign(base, { verts: ccw(s.vertices.map((v) => add(pos, rot(angle, v)))) });
    });
    const joints = (level.joints || []).map((j) => ({
      x: j.anchor[0], y: j.anchor[1], angle: level.shapes[j.b] ? (level.shapes[j.b].angle || 0) : 0,
      kind: j.kind || "revolute", channel: j.motor ? (j.motor.channel === undefined ? 0 : j.motor.channel) : null,
    }));
    const thrusters = (level.thrusters || []).map((t) => ({ x: t.point[0], y: t.point[1], angle: t.angle || 0, channel: t.channel || 0, throttle: 0 }));
    return { walls: walls(level), bodies, joints, thrusters };
  }

  function playScene() {
    const g = S.play.geometry, f = S.play.frame;
    const bodies = g.shapes.map((s, i) => {
      const [x, y, angle] = f.poses[i];
      const base = { index: i, kind: s.kind, role: s.role, static: s.static, angle, pos: [x, y] };
      if (s.kind === "circle") return Object.assign(base, { r: s.radius });
      return Object.assign(base, { verts: ccw(s.vertices.map((v) => add([x, y], rot(angle, v)))) });
    });
    const joints = g.joints.map((j, k) => ({ x: f.joints[k][0], y: f.joints[k][1], angle: f.joints[k][2], kind: j.kind, channel: j.channel }));
    const thrusters = g.thrusters.map((t, k) => ({ x: f.thrusters[k][0], y: f.thrusters[k][1], angle: f.thrusters[k][2], channel: t.channel, throttle: f.thrusters[k][3] }));
    return { walls: walls(S.play.level), bodies, joints, thrusters };
  }

  // ---------------------------------------------------------------------------------------------- drawing
  const rgb = (c, k = 1) => `rgb(${Math.round(Math.min(255, c[0] * k))},${Math.round(Math.min(255, c[1] * k))},${Math.round(Math.min(255, c[2] * k))})`;

  function fillPoly(vs, colour) {
    ctx.beginPath();
    vs.forEach((p, i) => { const q = toScreen(p); if (i) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); });
    ctx.closePath(); ctx.fillStyle = colour; ctx.fill();
  }
  function fillDisc(c, r, colour) {
    if (r <= 0) return;
    const q = toScreen(c), v = fittedView();
    ctx.beginPath(); ctx.arc(q[0], q[1], r * v.scale, 0, 2 * Math.PI); ctx.fillStyle = colour; ctx.fill();
  }
  function triangle(apex, base, d, hw) { const n = [-d[1], d[0]]; return [apex, add(base, [hw * n[0], hw * n[1]]), sub(base, [hw * n[0], hw * n[1]])]; }
  function rect(c, u, lo, hi, hw) {
    const w = [-u[1], u[0]], at = (a, b) => [c[0] + u[0] * a + w[0] * b, c[1] + u[1] * a + w[1] * b];
    return [at(-lo, -hw), at(hi, -hw), at(hi, hw), at(-lo, hw)];
  }

  function drawScene(scene, overlays) {
    const st = S.style, v = fittedView(), px = 1 / v.scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = rgb(st.background); ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (overlays) drawGrid(v);
    const roleColour = (role) => st.role_colours[Math.max(0, ROLES.indexOf(role))];
    for (const w of scene.walls) { // the world outside each wall
      const c = rgb(roleColour(w.role), st.static_shade), big = 1e4;
      const box = { floor: [[-big, -big], [big, -big], [big, w.at], [-big, w.at]], left: [[-big, -big], [w.at, -big], [w.at, big], [-big, big]],
        right: [[w.at, -big], [big, -big], [big, big], [w.at, big]], ceiling: [[-big, w.at], [big, w.at], [big, big], [-big, big]] }[w.side];
      fillPoly(box, c);
    }
    // static bodies under dynamic ones; within each group polygons first, then circles, in document order
    const order = scene.bodies.slice().sort((a, b) => (a.static === b.static ? 0 : a.static ? -1 : 1) ||
      ((a.kind === "circle") - (b.kind === "circle")) || a.index - b.index);
    const outline = st.outline * px;
    for (const b of order) {
      const shade = b.static ? st.static_shade : 1, fill = roleColour(b.role);
      if (b.kind === "circle") {
        fillDisc(b.pos, b.r, rgb(fill, shade * st.edge_shade));
        const inner = Math.max(b.r - outline, 0);
        fillDisc(b.pos, inner, rgb(fill, shade));
        const u = [Math.cos(b.angle), Math.sin(b.angle)];
        fillPoly(rect(b.pos, u, 0, inner, 0.5 * st.line_width * px), rgb(st.line_colour));
      } else {
        fillPoly(b.verts, rgb(fill, shade * st.edge_shade));
        const inner = inset(b.verts, outline);
        if (inner) fillPoly(inner, rgb(fill, shade));
      }
    }
    const jr = Math.max(st.joint_radius, st.min_marker * px);
    for (const j of scene.joints) {
      const c = [j.x, j.y];
      if (j.kind === "fixed") {
        fillPoly(rect(c, [Math.cos(j.angle), Math.sin(j.angle)], 0.85 * jr, 0.85 * jr, 0.85 * jr), rgb(st.joint_ring));
      } else {
        fillDisc(c, jr, rgb(st.joint_ring));
        const centre = j.channel === null ? st.joint_centre : st.motor_colours[j.channel === "auto" ? 4 : j.channel];
        fillDisc(c, Math.max(0.5 * jr, 0.75 * px), rgb(centre));
      }
    }
    const size = Math.max(st.thruster_size, 2 * st.min_marker * px);
    for (const t of scene.thrusters) {
      const p = [t.x, t.y], d = [Math.cos(t.angle), Math.sin(t.angle)];
      const back = sub(p, [0.5 * size * d[0], 0.5 * size * d[1]]);
      const thrust = Math.min(1, Math.max(0, t.throttle || 0));
      if (thrust > 0) {
        const len = (0.35 + 1.25 * thrust) * size;
        fillPoly(ccw(triangle(sub(back, [len * d[0], len * d[1]]), back, [-d[0], -d[1]], 0.3 * size)), rgb(st.flame));
      }
      fillPoly(ccw(triangle(add(p, [0.5 * size * d[0], 0.5 * size * d[1]]), back, d, 0.45 * size)), rgb(st.nozzle_colours[Math.min(1, t.channel)]));
    }
    if (overlays) drawOverlays(scene);
  }

  function drawGrid(v) {
    const g = S.grid >= 0.05 ? S.grid : 0.05, step = g < 0.25 ? g * Math.ceil(0.25 / g) : g;
    ctx.strokeStyle = "rgba(0,0,0,0.07)"; ctx.lineWidth = 1; ctx.beginPath();
    for (let x = Math.ceil(v.x0 / step) * step; x < v.x1; x += step) { const q = toScreen([x, 0]); ctx.moveTo(q[0], 0); ctx.lineTo(q[0], canvas.height); }
    for (let y = Math.ceil(v.y0 / step) * step; y < v.y1; y += step) { const q = toScreen([0, y]); ctx.moveTo(0, q[1]); ctx.lineTo(canvas.width, q[1]); }
    ctx.stroke();
  }

  function drawOverlays(scene) {
    const sel = S.selection;
    if (!sel) return;
    ctx.save(); ctx.strokeStyle = "#ff7a00"; ctx.lineWidth = 2; ctx.setLineDash([5, 3]);
    if (sel.what === "shape") {
      const b = scene.bodies[sel.index];
      if (b) {
        ctx.beginPath();
        if (b.kind === "circle") { const q = toScreen(b.pos); ctx.arc(q[0], q[1], b.r * fittedView().scale + 3, 0, 2 * Math.PI); }
        else b.verts.forEach((p, i) => { const q = toScreen(p); if (i) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); });
        ctx.closePath(); ctx.stroke();
        ctx.setLineDash([]);
        for (const [kind, p] of Object.entries(handles(sel.index))) {
          const q = toScreen(p); ctx.fillStyle = "#ff7a00"; ctx.beginPath();
          if (kind === "rotate") ctx.arc(q[0], q[1], 6, 0, 2 * Math.PI); else ctx.rect(q[0] - 5, q[1] - 5, 10, 10);
          ctx.fill();
        }
      }
    } else {
      const m = sel.what === "joint" ? scene.joints[sel.index] : scene.thrusters[sel.index];
      if (m) { const q = toScreen([m.x, m.y]); ctx.beginPath(); ctx.arc(q[0], q[1], 12, 0, 2 * Math.PI); ctx.stroke(); }
    }
    ctx.restore();
  }

  function draw() {
    if (!S.style) return;
    if (S.mode === "play" && S.play.geometry && S.play.frame) { drawScene(playScene(), false); return; }
    const level = S.preview || S.level;
    if (level) drawScene(editScene(level), true);
  }

  // ---------------------------------------------------------------------------------------------- editing
  const listOf = (what) => ({ shape: "shapes", joint: "joints", thruster: "thrusters" })[what];
  function entity(sel, level = S.level) { return sel && level ? (level[listOf(sel.what)] || [])[sel.index] : undefined; }
  const clone = (x) => JSON.parse(JSON.stringify(x));

  function extent(shape) { // half size of a shape's outline in its own frame
    if (shape.kind === "circle") return [shape.radius, shape.radius];
    const xs = shape.vertices.map((v) => Math.abs(v[0])), ys = shape.vertices.map((v) => Math.abs(v[1]));
    return [Math.max(...xs), Math.max(...ys)];
  }
  function handles(index) {
    const s = (S.preview || S.level).shapes[index];
    if (!s) return {};
    const pos = s.position || [0, 0], a = s.angle || 0, [ex, ey] = extent(s);
    return { rotate: add(pos, rot(a, [0, ey + 0.3])), resize: add(pos, rot(a, [ex, ey])) };
  }

  function shapesAt(p) { // indices of shapes under p, top-most first
    const sc = editScene(S.level);
    const order = sc.bodies.slice().sort((a, b) => (a.static === b.static ? 0 : a.static ? -1 : 1) ||
      ((a.kind === "circle") - (b.kind === "circle")) || a.index - b.index);
    return order.filter((b) => inside(b, p)).map((b) => b.index).reverse();
  }
  function inside(b, p) {
    if (b.kind === "circle") return Math.hypot(p[0] - b.pos[0], p[1] - b.pos[1]) <= b.r;
    for (let i = 0; i < b.verts.length; i++) {
      const q = b.verts[i], r = b.verts[(i + 1) % b.verts.length];
      if ((r[0] - q[0]) * (p[1] - q[1]) - (r[1] - q[1]) * (p[0] - q[0]) < 0) return false;
    }
    return true;
  }
  function markerAt(p) {
    const tol = 10 / fittedView().scale;
    const lv = S.level;
    for (let i = (lv.thrusters || []).length - 1; i >= 0; i--) if (Math.hypot(p[0] - lv.thrusters[i].point[0], p[1] - lv.thrusters[i].point[1]) < tol) return { what: "thruster", index: i };
    for (let i = (lv.joints || []).length - 1; i >= 0; i--) if (Math.hypot(p[0] - lv.joints[i].anchor[0], p[1] - lv.joints[i].anchor[1]) < tol) return { what: "joint", index: i };
    return null;
  }
  function handleAt(p) {
    if (!S.selection || S.selection.what !== "shape") return null;
    const tol = 9 / fittedView().scale;
    for (const [kind, q] of Object.entries(handles(S.selection.index))) if (Math.hypot(p[0] - q[0], p[1] - q[1]) < tol) return kind;
    return null;
  }

  function select(sel) { S.selection = sel; inspector(); draw(); }
  function addEntity(what, value) {
    send(`add_${what}`, { [what]: value }, (m) => { if (m.type === "level") select({ what, index: m.level[listOf(what)].length - 1 }); });
  }
  function update(sel, changes) { send(`update_${sel.what}`, { index: sel.index, set: changes }); }

  canvas.addEventListener("mousedown", (ev) => {
    if (S.mode !== "edit" || !S.level || ev.button !== 0) return;
    const p = toWorld(ev), sp = [snapv(p[0]), snapv(p[1])];
    if (S.tool === "select") {
      const h = handleAt(p);
      if (h) { S.drag = { kind: h, sel: S.selection, start: p }; return; }
      const m = markerAt(p);
      if (m) { select(m); S.drag = { kind: "marker", sel: m, start: p }; return; }
      const hits = shapesAt(p);
      if (!hits.length) { select(null); return; }
      const sel = { what: "shape", index: hits[0] };
      select(sel);
      S.drag = { kind: "move", sel, start: p, origin: (S.level.shapes[hits[0]].position || [0, 0]).slice() };
    } else if (S.tool === "rect" || S.tool === "circle") {
      S.drag = { kind: S.tool, start: sp };
    } else if (S.tool === "revolute" || S.tool === "fixed") {
      const hits = shapesAt(p);
      if (!hits.length) { showErrors("a joint goes on a shape: click where two shapes overlap, or on one shape to pin it to the world"); return; }
      const joint = { kind: S.tool, b: hits[0], anchor: sp };
      if (hits.length > 1) joint.a = hits[1];
      if (S.tool === "revolute") joint.motor = { speed: 3.0, max_torque: 10.0, channel: 0 };
      addEntity("joint", joint);
    } else if (S.tool === "thruster") {
      const hits = shapesAt(p);
      if (!hits.length) { showErrors("a thruster goes on a shape: click on one"); return; }
      addEntity("thruster", { body: hits[0], point: sp, angle: Math.PI / 2, max_force: 3.0, channel: 0 });
    }
  });

  window.addEventListener("mousemove", (ev) => {
    const d = S.drag;
    if (!d || S.mode !== "edit") return;
    const p = toWorld(ev);
    d.moved = true;
    const lv = clone(S.level);
    if (d.kind === "move") {
      lv.shapes[d.sel.index].position = [snapv(d.origin[0] + p[0] - d.start[0]), snapv(d.origin[1] + p[1] - d.start[1])];
    } else if (d.kind === "rotate") {
      const s = lv.shapes[d.sel.index], c = s.position || [0, 0];
      let a = Math.atan2(p[1] - c[1], p[0] - c[0]) - Math.PI / 2;
      if (S.snap) a = Math.round(a / (15 * DEG)) * 15 * DEG;
      s.angle = round6(a);
    } else if (d.kind === "resize") {
      const s = lv.shapes[d.sel.index], c = s.position || [0, 0], local = rot(-(s.angle || 0), sub(p, c));
      if (s.kind === "circle") s.radius = Math.max(0.02, snapv(Math.hypot(p[0] - c[0], p[1] - c[1])));
      else {
        const [ex, ey] = extent(s), nx = Math.max(0.01, snapv(Math.abs(local[0]))), ny = Math.max(0.01, snapv(Math.abs(local[1])));
        s.vertices = s.vertices.map((v) => [round6(v[0] * nx / ex), round6(v[1] * ny / ey)]);
      }
    } else if (d.kind === "marker") {
      const e = entity(d.sel, lv), q = [snapv(p[0]), snapv(p[1])];
      if (d.sel.what === "joint") e.anchor = q; else e.point = q;
    } else if (d.kind === "rect" || d.kind === "circle") {
      const s = newShape(d, p);
      if (s) lv.shapes.push(s);
    }
    S.preview = lv;
    draw();
  });

  function newShape(d, p) {
    const q = [snapv(p[0]), snapv(p[1])], a = d.start;
    if (d.kind === "circle") {
      const r = d.moved ? round6(Math.hypot(q[0] - a[0], q[1] - a[1])) : 0;
      return { kind: "circle", radius: r >= 0.02 ? r : 0.2, position: a };
    }
    let hx = round6(Math.abs(q[0] - a[0]) / 2), hy = round6(Math.abs(q[1] - a[1]) / 2), c = [round6((a[0] + q[0]) / 2), round6((a[1] + q[1]) / 2)];
    if (!d.moved || hx < 0.01 || hy < 0.01) { hx = 0.5; hy = 0.1; c = a; }
    return { kind: "polygon", vertices: [[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]], position: c };
  }

  window.addEventListener("mouseup", (ev) => {
    const d = S.drag;
    S.drag = null;
    if (!d || S.mode !== "edit") return;
    const p = toWorld(ev);
    if (d.kind === "rect" || d.kind === "circle") { addEntity("shape", newShape(d, p)); return; }
    if (!d.moved || !S.preview) { S.preview = null; draw(); return; }
    const e = entity(d.sel, S.preview);
    if (d.kind === "move") update(d.sel, { position: e.position });
    else if (d.kind === "rotate") update(d.sel, { angle: e.angle });
    else if (d.kind === "resize") update(d.sel, e.kind === "circle" ? { radius: e.radius } : { vertices: e.vertices });
    else if (d.kind === "marker") update(d.sel, d.sel.what === "joint" ? { anchor: e.anchor } : { point: e.point });
  });

  // ---------------------------------------------------------------------------------------------- inspector
  function field(parent, label, id, kind, value, onChange, options) {
    const row = document.createElement("label");
    row.className = "field";
    row.appendChild(document.createTextNode(label));
    let input;
    if (kind === "select") {
      input = document.createElement("select");
      for (const o of options) { const op = document.createElement("option"); op.value = String(o); op.textContent = String(o); input.appendChild(op); }
      input.value = String(value);
    } else if (kind === "textarea") {
      input = document.createElement("textarea"); input.rows = 3; input.value = value;
    } else {
      input = document.createElement("input"); input.type = kind;
      if (kind === "checkbox") input.checked = !!value; else input.value = value;
      if (kind === "number") input.step = "any";
    }
    input.id = id;
    input.addEventListener("change", () => {
      let v = kind === "checkbox" ? input.checked : input.value;
      if (kind === "number") { v = Number(v); if (!Number.isFinite(v)) { showErrors(`${label}: not a number`); return; } }
      onChange(v);
    });
    row.appendChild(input);
    parent.appendChild(row);
    return input;
  }
  const fmt = (x) => String(round6(x));
  const deg = (r) => String(Math.round((r || 0) / DEG * 1000) / 1000);

  function inspector() {
    const el = $("inspector");
    el.innerHTML = "";
    if (!S.level) return;
    const h = document.createElement("h2");
    el.appendChild(h);
    const sel = S.selection, e = entity(sel);
    if (!e) { h.textContent = "Level"; levelFields(el); return; }
    const set = (changes) => update(sel, changes);
    if (sel.what === "shape") {
      h.textContent = `Shape ${sel.index} (${e.kind})`;
      const pos = e.position || [0, 0];
      field(el, "x (m)", "f-x", "number", fmt(pos[0]), (v) => set({ position: [v, pos[1]] }));
      field(el, "y (m)", "f-y", "number", fmt(pos[1]), (v) => set({ position: [pos[0], v] }));
      field(el, "angle (°)", "f-angle", "number", deg(e.angle), (v) => set({ angle: v * DEG }));
      if (e.kind === "circle") field(el, "radius (m)", "f-radius", "number", fmt(e.radius), (v) => set({ radius: v }));
      else {
        const [ex, ey] = extent(e);
        field(el, "width (m)", "f-width", "number", fmt(2 * ex), (v) => set({ vertices: e.vertices.map((p) => [round6(p[0] * v / (2 * ex)), p[1]]) }));
        field(el, "height (m)", "f-height", "number", fmt(2 * ey), (v) => set({ vertices: e.vertices.map((p) => [p[0], round6(p[1] * v / (2 * ey))]) }));
        field(el, "vertices", "f-vertices", "textarea", e.vertices.map((p) => `${p[0]} ${p[1]}`).join("; "), (v) => {
          const vs = v.split(";").map((t) => t.trim().split(/[\s,]+/).map(Number)).filter((p) => p.length === 2);
          set({ vertices: vs });
        });
      }
      field(el, "static", "f-static", "checkbox", e.static, (v) => set({ static: v }));
      field(el, "role", "f-role", "select", e.role || "neutral", (v) => set({ role: v }), ROLES);
      field(el, "density", "f-density", "number", fmt(e.density ?? 1), (v) => set({ density: v }));
      field(el, "friction", "f-friction", "number", fmt(e.friction ?? 0.6), (v) => set({ friction: v }));
      field(el, "restitution", "f-restitution", "number", fmt(e.restitution ?? 0), (v) => set({ restitution: v }));
    } else if (sel.what === "joint") {
      h.textContent = `Joint ${sel.index}`;
      const hint = document.createElement("p"); hint.className = "hint";
      hint.textContent = `joins ${e.a === undefined || e.a === null ? "the world" : "shape " + e.a} and shape ${e.b}`;
      el.appendChild(hint);
      field(el, "kind", "f-kind", "select", e.kind || "revolute", (v) => set(v === "fixed" ? { kind: v, motor: null, limits: null } : { kind: v }), ["revolute", "fixed"]);
      field(el, "anchor x", "f-ax", "number", fmt(e.anchor[0]), (v) => set({ anchor: [v, e.anchor[1]] }));
      field(el, "anchor y", "f-ay", "number", fmt(e.anchor[1]), (v) => set({ anchor: [e.anchor[0], v] }));
      if ((e.kind || "revolute") === "revolute") {
        const m = e.motor;
        field(el, "motor", "f-motor", "checkbox", !!m, (v) => set({ motor: v ? { speed: 3.0, max_torque: 10.0, channel: 0 } : null }));
        if (m) {
          field(el, "speed (rad/s)", "f-speed", "number", fmt(m.speed), (v) => set({ motor: Object.assign({}, m, { speed: v }) }));
          field(el, "power (N m)", "f-power", "number", fmt(m.max_torque), (v) => set({ motor: Object.assign({}, m, { max_torque: v }) }));
          field(el, "channel", "f-channel", "select", m.channel ?? 0, (v) => set({ motor: Object.assign({}, m, { channel: v === "auto" ? v : Number(v) }) }), [0, 1, 2, 3, "auto"]);
          field(el, "at 0", "f-idle", "select", m.idle || "brake", (v) => set({ motor: Object.assign({}, m, { idle: v }) }), ["brake", "free"]);
        }
        const lim = e.limits;
        field(el, "limits", "f-limits", "checkbox", !!lim, (v) => set({ limits: v ? [-45 * DEG, 45 * DEG] : null }));
        if (lim) {
          field(el, "lower (°)", "f-lower", "number", deg(lim[0]), (v) => set({ limits: [v * DEG, lim[1]] }));
          field(el, "upper (°)", "f-upper", "number", deg(lim[1]), (v) => set({ limits: [lim[0], v * DEG] }));
        }
      }
      field(el, "collide", "f-collide", "checkbox", !!e.collide, (v) => set({ collide: v }));
    } else {
      h.textContent = `Thruster ${sel.index} on shape ${e.body}`;
      field(el, "x (m)", "f-px", "number", fmt(e.point[0]), (v) => set({ point: [v, e.point[1]] }));
      field(el, "y (m)", "f-py", "number", fmt(e.point[1]), (v) => set({ point: [e.point[0], v] }));
      field(el, "direction (°)", "f-direction", "number", deg(e.angle), (v) => set({ angle: v * DEG }));
      field(el, "power (N)", "f-force", "number", fmt(e.max_force), (v) => set({ max_force: v }));
      field(el, "channel", "f-tchannel", "select", e.channel || 0, (v) => set({ channel: Number(v) }), [0, 1]);
    }
  }

  function levelFields(el) {
    const lv = S.level, setL = (changes) => send("set_level", { set: changes });
    field(el, "name", "l-name", "text", lv.name, (v) => setL({ name: v }));
    field(el, "description", "l-description", "text", lv.description || "", (v) => setL({ description: v }));
    const size = typeof lv.size === "string" ? lv.size : "m";
    if (typeof lv.size === "string" || lv.size === undefined) field(el, "size", "l-size", "select", size, (v) => setL({ size: v }), ["s", "m", "l"]);
    field(el, "episode steps", "l-episode", "number", lv.episode_length ?? 256, (v) => setL({ episode_length: v }));
    field(el, "frame skip", "l-frameskip", "number", lv.frame_skip ?? 2, (v) => setL({ frame_skip: v }));
    const g = lv.gravity || [0, -9.81];
    field(el, "gravity y", "l-gravity", "number", fmt(g[1]), (v) => setL({ gravity: [g[0], v] }));
    const ws = walls(lv), floor = ws.find((w) => w.side === "floor");
    if (floor) field(el, "floor role", "l-floor-role", "select", floor.role, (v) => {
      const b = lv.boundary ? clone(lv.boundary) : {};
      b.floor = { at: floor.at, role: v };
      setL({ boundary: b });
    }, ROLES);
    field(el, "chain filter", "l-chain", "checkbox", !!lv.joint_chain_filter, (v) => setL({ joint_chain_filter: v }));
    const n = document.createElement("p"); n.className = "hint";
    n.textContent = `${lv.shapes.length} shapes, ${(lv.joints || []).length} joints, ${(lv.thrusters || []).length} thrusters. Click a shape to edit it.`;
    el.appendChild(n);
  }

  // ---------------------------------------------------------------------------------------------- play
  function setMode(mode, notify = true) {
    if (mode === S.mode) return;
    S.mode = mode;
    document.body.classList.toggle("playing", mode === "play");
    $("mode-edit").classList.toggle("active", mode === "edit");
    $("mode-play").classList.toggle("active", mode === "play");
    S.keys.clear(); S.action = [0, 0, 0, 0, 0, 0];
    if (mode === "play") {
      S.play.frame = null; S.play.geometry = null;
      notice("compiling the level (the first play of a size takes a while)…");
      send("play_action", { action: S.action }, null, false);
      send("play_start", {}, (m) => { if (m.type !== "error") notice(""); else setMode("edit", false); draw(); });
      send("list_agents");
    } else if (notify) {
      send("play_stop");
    }
    draw();
  }
  function hud() {
    const f = S.play.frame;
    if (!f) return;
    const o = $("outcome");
    o.textContent = f.outcome; o.className = f.outcome;
    $("return").textContent = f.return.toFixed(3);
    $("steps").textContent = `${f.t} / ${f.episode_length}`;
    $("time").textContent = `${f.time.toFixed(2)} s`;
    $("action").textContent = `${f.action.slice(0, 4).map((x) => x.toFixed(0)).join(" ")} | ${f.action.slice(4).map((x) => x.toFixed(0)).join(" ")}`;
  }
  function keyAction() {
    const a = [0, 0, 0, 0, 0, 0];
    for (const k of S.keys) { const m = KEYS[k]; if (m) a[m[0]] = Math.max(-1, Math.min(1, a[m[0]] + m[1])); }
    return a;
  }
  function syncAction() {
    const a = keyAction();
    if (a.some((x, i) => x !== S.action[i])) { S.action = a; send("play_action", { action: a }, null, false); }
  }
  const keyName = (ev) => (ev.key.length === 1 ? ev.key.toLowerCase() : ev.key);

  window.addEventListener("keydown", (ev) => {
    const tag = (ev.target && ev.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return;
    const k = keyName(ev);
    if (S.mode === "play") {
      if (KEYS[k]) { S.keys.add(k); syncAction(); ev.preventDefault(); return; }
      if (k === " ") { send(S.play.running ? "play_pause" : "play_run"); ev.preventDefault(); }
      else if (k === ".") send("play_step");
      else if (k === "r") send("play_reset");
      else if (k === "Escape") setMode("edit");
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && k === "z") { send(ev.shiftKey ? "redo" : "undo"); ev.preventDefault(); return; }
    if ((ev.ctrlKey || ev.metaKey) && k === "y") { send("redo"); ev.preventDefault(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tools = { v: "select", r: "rect", c: "circle", j: "revolute", f: "fixed", t: "thruster" };
    if (tools[k]) setTool(tools[k]);
    else if (k === "Delete" || k === "Backspace") deleteSelection();
    else if (k === "g") { $("snap").checked = !$("snap").checked; S.snap = $("snap").checked; }
    else if (k === "p") setMode("play");
  });
  window.addEventListener("keyup", (ev) => {
    const k = keyName(ev);
    if (S.keys.delete(k) && S.mode === "play") syncAction();
  });
  window.addEventListener("blur", () => { if (S.keys.size) { S.keys.clear(); if (S.mode === "play") syncAction(); } });

  function setTool(tool) {
    S.tool = tool;
    document.querySelectorAll(".tool").forEach((b) => b.classList.toggle("active", b.dataset.tool === tool));
  }
  function deleteSelection() {
    if (!S.selection || !entity(S.selection)) return;
    const sel = S.selection;
    S.selection = null;
    send(`delete_${sel.what}`, { index: sel.index });
  }

  // ---------------------------------------------------------------------------------------------- files
  function fillFiles(msg) {
    const sel = $("open-list"), keep = sel.value;
    sel.innerHTML = "";
    const group = (label, items, source) => {
      const g = document.createElement("optgroup"); g.label = label;
      for (const n of items) { const o = document.createElement("option"); o.value = `${source}:${n}`; o.textContent = n; g.appendChild(o); }
      sel.appendChild(g);
    };
    group("saved", msg.saved, "saved");
    group("bundled", msg.bundled, "bundled");
    if (keep) sel.value = keep;
  }
  function fillAgents(msg) {
    const sel = $("agent");
    sel.innerHTML = '<option value="">keyboard</option>';
    for (const a of msg.agents) { const o = document.createElement("option"); o.value = a; o.textContent = a; sel.appendChild(o); }
    sel.value = msg.current || "";
  }
  function save(overwrite = false) {
    const name = $("save-name").value.trim() || `${S.level.name}.json`;
    send("save", { name, overwrite });
  }
  function upload(input, format) {
    const file = input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => { send("load_text", { text: String(reader.result), filename: file.name, format }); input.value = ""; };
    reader.readAsText(file);
  }

  function updateControls() {
    $("undo").disabled = !S.canUndo; $("redo").disabled = !S.canRedo;
    if (S.level && !$("save-name").value) $("save-name").placeholder = `${S.level.name}.json`;
  }

  // ---------------------------------------------------------------------------------------------- wiring
  $("mode-edit").onclick = () => setMode("edit");
  $("mode-play").onclick = () => setMode("play");
  document.querySelectorAll(".tool").forEach((b) => { b.onclick = () => setTool(b.dataset.tool); });
  $("undo").onclick = () => send("undo");
  $("redo").onclick = () => send("redo");
  $("delete").onclick = deleteSelection;
  $("snap").onchange = () => { S.snap = $("snap").checked; };
  $("grid").onchange = () => { const g = Number($("grid").value); if (g > 0) { S.grid = g; draw(); } };
  $("new").onclick = () => { S.selection = null; setMode("edit"); send("new", { size: "m" }); };
  $("open").onclick = () => {
    const v = $("open-list").value;
    if (!v) return;
    const i = v.indexOf(":");
    S.selection = null; setMode("edit", false);
    send("open", { source: v.slice(0, i), name: v.slice(i + 1) }, (m) => { if (m.type === "level" && v.startsWith("saved:")) $("save-name").value = v.slice(6); });
  };
  $("save").onclick = () => save(false);
  $("upload").onchange = () => upload($("upload"), "tumble");
  $("import-kinetix").onchange = () => upload($("import-kinetix"), "kinetix");
  $("generate").onclick = () => {
    S.selection = null; setMode("edit", false);
    notice("generating (the first level of a size compiles the generator)…");
    send("generate", { size: $("gen-size").value, seed: Math.max(0, Math.floor(Number($("gen-seed").value) || 0)) });
  };
  $("run").onclick = () => send(S.play.running ? "play_pause" : "play_run");
  $("step").onclick = () => send("play_step");
  $("reset").onclick = () => send("play_reset");
  $("agent").onchange = () => send("agent", { run: $("agent").value || null }, (m) => { if (m.type === "error") $("agent").value = ""; });

  connect();
})();
