// emlab's live figures (anywidget front end): the Jensen explorer and the EM stepper, drawn in the browser.
//
// Python draws everything that never changes once with matplotlib (axes, ticks, labels, the curve, the
// legend, the whole log-likelihood trace) and sends it as a PNG, together with the numbers of every state
// (scene + binary arrays) and references to the ipywidgets sliders. Here a change of a slider, or a drag of
// a point on the figure, repaints that background and draws the moving parts on a canvas: no kernel round
// trip, so the figure follows the mouse within a frame. The kernel hears of the new value as usual (the
// slider syncs it) and keeps its own copy of the figure up to date.

const SANS = 'Arial, "DejaVu Sans", "Liberation Sans", Helvetica, sans-serif';

function view(dv, Type) {
  // copy: a DataView into the message buffer need not be aligned for a Float64Array
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength).slice();
  return new Type(bytes.buffer);
}

function css(c, alpha = 1) {
  return `rgba(${Math.round(c[0] * 255)},${Math.round(c[1] * 255)},${Math.round(c[2] * 255)},${alpha})`;
}

class Axes {
  // bbox in canvas pixels (top-left origin), linear data limits
  constructor(spec) {
    Object.assign(this, spec);
  }
  px(x) {
    return this.x0 + ((x - this.xlim[0]) / (this.xlim[1] - this.xlim[0])) * (this.x1 - this.x0);
  }
  py(y) {
    return this.y1 - ((y - this.ylim[0]) / (this.ylim[1] - this.ylim[0])) * (this.y1 - this.y0);
  }
  xdata(px) {
    return this.xlim[0] + ((px - this.x0) / (this.x1 - this.x0)) * (this.xlim[1] - this.xlim[0]);
  }
  clip(ctx) {
    ctx.beginPath();
    ctx.rect(this.x0, this.y0, this.x1 - this.x0, this.y1 - this.y0);
    ctx.clip();
  }
}

function stroke(ctx, color, width, dash = []) {
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.lineCap = "butt";
  ctx.lineJoin = "round";
  ctx.stroke();
  ctx.setLineDash([]);
}

function polyline(ctx, pts) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
}

// A marker: "o" (a circle of diameter size) or a polygon in units of the marker size (matplotlib's path,
// y up), centred at (x, y) in pixels.
function markerPath(ctx, shape, x, y, size) {
  ctx.beginPath();
  if (shape === "o") {
    ctx.arc(x, y, size / 2, 0, 2 * Math.PI);
  } else {
    shape.forEach(([u, v], i) => (i ? ctx.lineTo(x + u * size, y - v * size) : ctx.moveTo(x + u * size, y - v * size)));
    ctx.closePath();
  }
}

function marker(ctx, shape, x, y, size, fill, edge, edgeWidth) {
  markerPath(ctx, shape, x, y, size);
  ctx.fillStyle = fill;
  ctx.fill();
  if (edgeWidth > 0) {
    ctx.strokeStyle = edge;
    ctx.lineWidth = edgeWidth;
    ctx.stroke();
  }
}

// Text at (x, y) in pixels; ha: left/center/right; va: top/center/bottom/baseline; lines stacked 1.2 apart.
function text(ctx, str, x, y, sizePx, color, ha = "left", va = "baseline", weight = "normal") {
  const lines = String(str).split("\n");
  ctx.font = `${weight} ${sizePx}px ${SANS}`;
  ctx.fillStyle = color;
  ctx.textAlign = ha === "center" ? "center" : ha;
  ctx.textBaseline = "alphabetic";
  const step = 1.2 * sizePx;
  const ascent = 0.76 * sizePx;
  const height = ascent + (lines.length - 1) * step + 0.24 * sizePx;
  let top;
  if (va === "top") top = y;
  else if (va === "bottom") top = y - height;
  else if (va === "center") top = y - height / 2;
  else top = y - ascent - (lines.length - 1) * step; // baseline of the last line at y
  lines.forEach((line, i) => ctx.fillText(line, x, top + ascent + i * step));
  const width = Math.max(...lines.map((l) => ctx.measureText(l).width));
  const left = ha === "left" ? x : ha === "right" ? x - width : x - width / 2;
  return { x0: left, y0: top, x1: left + width, y1: top + height };
}

function roundBox(ctx, b, pad, radius, face, edge, width) {
  const x = b.x0 - pad, y = b.y0 - pad, w = b.x1 - b.x0 + 2 * pad, h = b.y1 - b.y0 + 2 * pad;
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, radius);
  ctx.fillStyle = face;
  ctx.fill();
  stroke(ctx, edge, width);
}

function arrowHead(ctx, x, y, dirY, length, halfWidth, color) {
  // a filled head with its tip at (x, y), pointing up (dirY = -1) or down (+1) on screen
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x - halfWidth, y - dirY * length);
  ctx.lineTo(x + halfWidth, y - dirY * length);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
}

// ------------------------------------------------------------------------------------------------------
// Jensen's inequality: two points, their weights, E[x], f(E[x]) and E[f(x)], the gap
// ------------------------------------------------------------------------------------------------------
function jensenFunction(S, arrays) {
  const F = { log: Math.log, exp: Math.exp, sqrt: Math.sqrt, square: (v) => v * v };
  if (S.f.kind in F) return F[S.f.kind];
  // anything else: f sampled finely on the sliders' range (error << the 3 decimals shown)
  const table = view(arrays.f, Float64Array);
  const { x0, dx } = S.f;
  return (v) => {
    const u = Math.min(Math.max((v - x0) / dx, 0), table.length - 1);
    const i = Math.min(Math.floor(u), table.length - 2);
    return table[i] + (u - i) * (table[i + 1] - table[i]);
  };
}

function jensenState(S, f, x1, x2, p) {
  const x = [x1, x2], w = [p, 1 - p];
  const fx = x.map(f);
  const Ex = w[0] * x[0] + w[1] * x[1];
  const fEx = f(Ex);
  const Efx = w[0] * fx[0] + w[1] * fx[1];
  return { x, w, fx, Ex, fEx, Efx, gap: Efx - fEx };
}

// The texts that change: legend values, the gap's label, the weights (as the kernel's copy writes them).
function jensenLabels(S, st) {
  const { w, Ex, fEx, Efx, gap } = st;
  const [larger, smaller] = gap <= 0 ? [S.names.f_of_E, S.names.E_of_f] : [S.names.E_of_f, S.names.f_of_E];
  return {
    legend: [Ex, fEx, Efx].map((v, i) => `${S.names.legend[i]} = ${v.toFixed(3)}`),
    gap: `gap = ${larger} \u2212 ${smaller}\n= ${Math.abs(gap).toFixed(3)}`,
    p: w.map((v) => `p = ${v.toFixed(2)}`),
  };
}

function drawJensen(ctx, S, bg, f, x1, x2, p) {
  const pt = S.dpi / 72;
  const A = new Axes(S.ax);
  const st = jensenState(S, f, x1, x2, p);
  const { x, fx, Ex, fEx, Efx, gap } = st;
  const c = S.colors;
  ctx.drawImage(bg, 0, 0);
  ctx.save();
  A.clip(ctx);
  // dotted guides from the y axis to both values, and the line x = E[x]
  for (const yy of [fEx, Efx]) {
    polyline(ctx, [[A.px(S.guide_x0), A.py(yy)], [A.px(Ex), A.py(yy)]]);
    stroke(ctx, "rgb(128,128,128)", 1.2 * pt, S.dashes.guide);
  }
  polyline(ctx, [[A.px(Ex), A.y0], [A.px(Ex), A.y1]]);
  stroke(ctx, "rgb(89,89,89)", 1.8 * pt, S.dashes.mean);
  // the chord
  polyline(ctx, x.map((xi, i) => [A.px(xi), A.py(fx[i])]));
  stroke(ctx, css(c.points), 2.0 * pt, S.dashes.chord);
  ctx.restore();
  for (let i = 0; i < 2; i++) marker(ctx, "o", A.px(x[i]), A.py(fx[i]), 11 * pt, css(c.points), "black", pt);
  marker(ctx, S.markers.s, A.px(Ex), A.py(fEx), 12 * pt, css(c.f_of_mean), "black", pt);
  marker(ctx, S.markers.D, A.px(Ex), A.py(Efx), 11 * pt, css(c.mean_of_f), "black", pt);

  // the gap bracket, 13 pt right of E[x], from f(E[x]) to E[f(x)]
  const bx = A.px(Ex) + S.bracket_offset_pt * pt;
  const top = A.py(Math.max(fEx, Efx)), bottom = A.py(Math.min(fEx, Efx));
  const pointers = Math.abs(gap) > 1e-12 * Math.max(1, Math.abs(fEx)) && bottom - top < S.min_gap_pt * pt;
  if (Math.abs(gap) > 1e-12 * Math.max(1, Math.abs(fEx))) {
    polyline(ctx, [[bx, top], [bx, bottom]]);
    stroke(ctx, "black", 2 * pt);
    for (const yy of [top, bottom]) {
      polyline(ctx, [[bx - 4.5 * pt, yy], [bx + 4.5 * pt, yy]]);
      stroke(ctx, "black", 2 * pt);
    }
    if (pointers) {
      // too short to see next to the markers: arrows point at both ends from outside
      for (const [yy, dir] of [[top, 1], [bottom, -1]]) {
        polyline(ctx, [[bx, yy - dir * 16 * pt], [bx, yy - dir * 6 * pt]]);
        stroke(ctx, "black", 2 * pt);
        arrowHead(ctx, bx, yy, dir, 7 * pt, 3.5 * pt, "black");
      }
    }
  }
  // its label, on the chord's side of the bracket (below for concave f, above for convex)
  const below = gap <= 0;
  const clear = pointers ? 18 : 0;
  const labels = jensenLabels(S, st);
  const label = labels.gap;
  const gx = bx + 10 * pt;
  const gy = below ? bottom + (10 + clear) * pt : top - (10 + clear) * pt;
  ctx.font = `normal ${13 * pt}px ${SANS}`;
  const lines = label.split("\n");
  const width = Math.max(...lines.map((l) => ctx.measureText(l).width));
  const height = 13 * pt * (0.76 + 1.2 + 0.24);
  const box = { x0: gx, x1: gx + width, y0: below ? gy : gy - height, y1: below ? gy + height : gy };
  roundBox(ctx, box, 0.3 * 13 * pt, 0.3 * 13 * pt, "rgba(255,255,255,0.9)", "black", pt);
  text(ctx, label, gx, box.y0, 13 * pt, "black", "left", "top");

  // each point's weight next to it, on the side the first drawing chose
  S.p_labels.forEach((lab, i) => {
    text(ctx, labels.p[i], A.px(x[i]) + lab.dx * pt, A.py(fx[i]) - lab.dy * pt, 12 * pt, css(c.points),
      lab.ha, lab.va);
  });

  // the legend on top of everything (as matplotlib draws it), with the values
  const L = S.legend;
  ctx.drawImage(bg, L.x0, L.y0, L.x1 - L.x0, L.y1 - L.y0, L.x0, L.y0, L.x1 - L.x0, L.y1 - L.y0);
  L.texts.forEach((t, i) => text(ctx, labels.legend[i], t.x, t.y, t.size, "black", "left", "center"));
  return st;
}

// ------------------------------------------------------------------------------------------------------
// The EM stepper: points coloured by responsibility, ellipses and means, the log-likelihood so far
// ------------------------------------------------------------------------------------------------------
// The points of one responsibility state (wIdx; -1: before the first E-step, one grey cloud), drawn once
// into a layer the size of the left axes: a frame then only copies it. Source-over compositing is
// associative, so the layer composited onto the background equals drawing each point onto it.
function pointsLayer(S, arrays, G, wIdx) {
  const pt = S.dpi / 72;
  const x0 = Math.floor(G.x0), y0 = Math.floor(G.y0);
  const layer = document.createElement("canvas");
  layer.width = Math.ceil(G.x1) - x0;
  layer.height = Math.ceil(G.y1) - y0;
  const ctx = layer.getContext("2d");
  ctx.translate(-x0, -y0);
  const m = S.m, k = S.k;
  // points: one pass per component (as matplotlib's one scatter per component), its marker shape
  const size = Math.sqrt(S.point.area_pt2) * pt;
  const edge = S.point.edge_pt * pt;
  ctx.globalAlpha = S.point.alpha;
  if (wIdx < 0) {
    for (let i = 0; i < m; i++) {
      marker(ctx, S.point.markers[0], G.px(arrays.X[2 * i]), G.py(arrays.X[2 * i + 1]), size, css(S.grey), "white", edge);
    }
  } else {
    const z = arrays.z.subarray(wIdx * m, (wIdx + 1) * m);
    const rgb = arrays.rgb.subarray(wIdx * m * 3, (wIdx + 1) * m * 3);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < m; i++) {
        if (z[i] !== j) continue;
        const fill = `rgb(${rgb[3 * i]},${rgb[3 * i + 1]},${rgb[3 * i + 2]})`;
        marker(ctx, S.point.markers[j], G.px(arrays.X[2 * i]), G.py(arrays.X[2 * i + 1]), size, fill, "white", edge);
      }
    }
  }
  return { layer, x0, y0 };
}

function drawStepper(ctx, S, bg, arrays, frame, layers) {
  const pt = S.dpi / 72;
  const [G, T] = S.axes.map((a) => new Axes(a));
  const [pIdx, wIdx, titleG, titleT] = S.frames[frame];
  ctx.drawImage(bg, 0, 0);
  ctx.save();
  G.clip(ctx);
  if (!layers.has(wIdx)) layers.set(wIdx, pointsLayer(S, arrays, G, wIdx));
  const { layer, x0, y0 } = layers.get(wIdx);
  ctx.drawImage(layer, x0, y0);
  // ellipses: the data-to-pixel map is affine, so the ellipse is built in data coordinates
  const sx = (G.x1 - G.x0) / (G.xlim[1] - G.xlim[0]), sy = (G.y1 - G.y0) / (G.ylim[1] - G.ylim[0]);
  S.ellipses[pIdx].forEach(([cx, cy, width, height, angle], j) => {
    ctx.save();
    ctx.setTransform(sx, 0, 0, -sy, G.x0 - G.xlim[0] * sx, G.y1 + G.ylim[0] * sy);
    ctx.beginPath();
    ctx.ellipse(cx, cy, width / 2, height / 2, (angle * Math.PI) / 180, 0, 2 * Math.PI);
    ctx.restore();
    ctx.fillStyle = css(S.colors[j], S.ellipse.fill_alpha);
    ctx.fill();
    stroke(ctx, css(S.colors[j]), S.ellipse.width_pt * pt, S.ellipse.dashes[j]);
  });
  S.means[pIdx].forEach(([mx, my], j) => {
    marker(ctx, S.mean.marker, G.px(mx), G.py(my), S.mean.size_pt * pt, css(S.colors[j]), "black", S.mean.edge_pt * pt);
  });
  ctx.restore();
  // the log-likelihood so far and the current point
  ctx.save();
  T.clip(ctx);
  const P = S.progress;
  const pts = [];
  for (let t = 0; t <= pIdx; t++) pts.push([T.px(t), T.py(S.loglik[t])]);
  polyline(ctx, pts);
  stroke(ctx, css(P.color), P.width_pt * pt);
  for (const [x, y] of pts) marker(ctx, "o", x, y, P.size_pt * pt, css(P.color), css(P.color), pt);
  markerPath(ctx, "o", T.px(pIdx), T.py(S.loglik[pIdx]), S.current.size_pt * pt);
  stroke(ctx, css(S.current.color), S.current.edge_pt * pt);
  ctx.restore();
  // titles
  const tp = S.titles;
  text(ctx, titleG, tp[0].x, tp[0].y, tp[0].size, "black", "center", "baseline");
  text(ctx, titleT, tp[1].x, tp[1].y, tp[1].size, "black", "center", "baseline");
}

// ------------------------------------------------------------------------------------------------------
async function render({ model, el }) {
  const S = model.get("scene");
  const raw = model.get("arrays") || {};
  const wrap = document.createElement("div");
  wrap.className = "emlab-live";
  const canvas = document.createElement("canvas");
  canvas.width = S.width;
  canvas.height = S.height;
  canvas.style.width = "100%";
  canvas.style.maxWidth = `${S.width}px`;
  canvas.style.height = "auto";
  canvas.style.display = "block";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", S.alt);
  wrap.appendChild(canvas);
  el.appendChild(wrap);
  const ctx = canvas.getContext("2d");
  const bg = new Image();
  const bytes = model.get("background");
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    { type: "image/png" }));
  bg.src = url;
  await bg.decode();
  URL.revokeObjectURL(url);
  const ids = model.get("controls").map((ref) => ref.replace(/^IPY_MODEL_/, ""));
  const controls = await Promise.all(ids.map((id) => model.widget_manager.get_model(id)));
  let frames = 0;
  let draw;
  const announce = (started) => {
    frames += 1;
    canvas.dataset.frames = String(frames);
    canvas.dataset.drawMs = (performance.now() - started).toFixed(2); // what a redraw costs (benchmark)
    canvas.dispatchEvent(new CustomEvent("emlab:drawn", { bubbles: true }));
  };
  const cleanups = [];

  if (S.kind === "jensen") {
    const f = jensenFunction(S, raw);
    const [sx1, sx2, sp] = controls;
    const A = new Axes(S.ax);
    let state;
    draw = () => {
      const started = performance.now();
      state = drawJensen(ctx, S, bg, f, sx1.get("value"), sx2.get("value"), sp.get("value"));
      announce(started);
    };
    // drag a point along x: its slider follows (and tells the kernel), the figure redraws at once
    const toCanvas = (e) => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
    };
    const hit = (e) => {
      const [px, py] = toCanvas(e);
      const reach = (12 * S.dpi) / 72;
      let best = -1, bestD = Infinity;
      state.x.forEach((xi, i) => {
        const d = Math.hypot(A.px(xi) - px, A.py(state.fx[i]) - py);
        if (d <= reach && d < bestD) [best, bestD] = [i, d];
      });
      return best;
    };
    let dragging = -1;
    canvas.addEventListener("pointerdown", (e) => {
      dragging = hit(e);
      if (dragging >= 0) {
        canvas.setPointerCapture(e.pointerId);
        e.preventDefault();
      }
    });
    canvas.addEventListener("pointermove", (e) => {
      if (dragging < 0) {
        canvas.style.cursor = hit(e) >= 0 ? "grab" : "default";
        return;
      }
      const [lo, hi, step] = S.range;
      let v = A.xdata(toCanvas(e)[0]);
      v = Math.min(Math.max(lo + Math.round((v - lo) / step) * step, lo), hi);
      const slider = [sx1, sx2][dragging];
      slider.set("value", Number(v.toFixed(10)));
      slider.save_changes();
    });
    const release = () => (dragging = -1);
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
  } else {
    const arrays = {
      X: view(raw.X, Float64Array),
      z: view(raw.z, Uint8Array),
      rgb: view(raw.rgb, Uint8Array),
    };
    const [slider] = controls;
    const layers = new Map();
    draw = () => {
      const started = performance.now();
      const i = Math.min(Math.max(slider.get("value"), 0), S.frames.length - 1);
      drawStepper(ctx, S, bg, arrays, i, layers);
      announce(started);
    };
    // draw every state's points layer while the page is idle, one per task, so no drag waits for one
    const G = new Axes(S.axes[0]);
    const todo = [...new Set(S.frames.map((f) => f[1]))];
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 30));
    const warm = () => {
      const w = todo.shift();
      if (w === undefined) return;
      if (!layers.has(w)) layers.set(w, pointsLayer(S, arrays, G, w));
      idle(warm);
    };
    idle(warm);
  }
  // redraw as soon as a control changes (in this same task: the next frame on screen shows it)
  for (const c of controls) {
    c.on("change:value", draw);
    cleanups.push(() => c.off("change:value", draw));
  }
  draw();
  return () => cleanups.forEach((fn) => fn());
}

export default { render };
// for tests (node): the numbers and texts the figure shows
export { jensenFunction, jensenLabels, jensenState };
