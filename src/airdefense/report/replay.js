/* airdefense replay: draws the run embedded in #replay-data on two canvases (plan view and
   altitude profile). Vanilla JavaScript, no library, no network request.

   Speed: everything is decoded once into typed arrays; objects and tracks are indexed by
   10-second time buckets and their rows found by binary search on time; each layer is drawn
   as a few batched paths (one per colour and style), the grid and sites are cached in an
   off-screen canvas, and a frame is drawn only when something changed. No DOM element is
   created while playing. */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('replay-data').textContent);
  var DUR = Math.max(+D.duration || 0, 0);
  var Q = D.q;
  var TRAIL_S = 60;       // trails and truth paths: the last minute
  var LEADER_S = 60;      // velocity leaders: where a track will be in a minute
  var MAX_EXTRAP_S = 30;  // a track is dead-reckoned at most this long past its last row
  var HOLD_S = 3;         // a track without a drop event stays this long after its last row
  var BUCKET_S = 10;
  var ID_NAMES = D.identities;  // unknown, civil, friend, hostile
  var ID_COL = ['#ffd43b', '#51cf66', '#4dabf7', '#ff6b6b'];
  var ST_NAMES = D.statuses;    // tentative, confirmed, coasting
  var SENSOR_COL = ['#a5d8ff', '#fcc2d7', '#ffd8a8', '#d0bfff', '#c3fae8', '#eebefa',
                    '#e9fac8', '#ffc9c9'];
  var TRUTH_COL = ['rgba(190,198,210,0.35)', 'rgba(255,150,150,0.5)'];  // civil, hostile
  var TRUTH_DOT = ['rgba(200,208,220,0.8)', 'rgba(255,170,170,0.95)'];
  var SHOT_COL = '#22d3ee';
  var EV_COL = ['#fff3bf', '#adb5bd', '#f783ac', '#ff4d4f'];  // kill, miss, leak, asset_hit
  var RING_COL = ['#f4a261', '#e9c46a', '#e76f51', '#d4a373', '#ffb4a2', '#cdb4db'];
  var BAT = D.batteries || [];

  // ---------- decoding ----------
  function cum(a, k) {
    var o = new Float64Array(a.length), s = 0;
    for (var i = 0; i < a.length; i++) { s += a[i]; o[i] = s * k; }
    return o;
  }
  function scaled(a, k) {
    var o = new Float64Array(a.length);
    for (var i = 0; i < a.length; i++) o[i] = a[i] * k;
    return o;
  }
  function numbers(a) {  // null -> NaN
    var o = new Float64Array(a.length);
    for (var i = 0; i < a.length; i++) o[i] = a[i] === null ? NaN : a[i];
    return o;
  }
  function offsets(n) {
    var o = new Int32Array(n.length + 1);
    for (var i = 0; i < n.length; i++) o[i + 1] = o[i] + n[i];
    return o;
  }
  // last index i in [lo, hi) with a[i] <= v, or lo - 1
  function lastLE(a, lo, hi, v) {
    while (lo < hi) { var m = (lo + hi) >>> 1; if (a[m] <= v) lo = m + 1; else hi = m; }
    return lo - 1;
  }
  // first index i in [lo, hi) with a[i] >= v, or hi
  function firstGE(a, lo, hi, v) {
    while (lo < hi) { var m = (lo + hi) >>> 1; if (a[m] < v) lo = m + 1; else hi = m; }
    return lo;
  }

  var OB = D.objects, nObj = OB.name.length;
  var OB_HOST = Int8Array.from(OB.hostile);
  var TR = D.truth;
  var trOff = offsets(TR.n), trT = cum(TR.t, Q.t), trX = cum(TR.x, Q.xy), trY = cum(TR.y, Q.xy),
      trH = cum(TR.h, Q.h);
  var obT0 = new Float64Array(nObj), obT1 = new Float64Array(nObj);
  for (var o = 0; o < nObj; o++) {
    var s0 = trOff[o], e0 = trOff[o + 1];
    obT0[o] = e0 > s0 ? trT[s0] : Infinity;
    obT1[o] = e0 > s0 ? trT[e0 - 1] : -Infinity;
  }

  var PL = D.plots, nPl = PL.t.length;
  var plT = cum(PL.t, Q.t), plX = scaled(PL.x, Q.xy), plY = scaled(PL.y, Q.xy),
      plH = scaled(PL.h, Q.h), plS = Int16Array.from(PL.s);
  var PERSIST = +D.plotPersist || 10;

  var TK = D.tracks, nTk = TK.id.length;
  var tkOff = offsets(TK.n), tkT = cum(TK.t, Q.t), tkX = cum(TK.x, Q.xy), tkY = cum(TK.y, Q.xy),
      tkH = cum(TK.h, Q.h), tkVX = scaled(TK.vx, Q.v), tkVY = scaled(TK.vy, Q.v),
      tkVH = scaled(TK.vh, Q.v), tkSt = Int8Array.from(TK.st), tkId = Int8Array.from(TK.idn);
  var tkDrop = numbers(TK.dropped), tkConf = numbers(TK.confirmed);
  var tkT0 = new Float64Array(nTk), tkT1 = new Float64Array(nTk);
  var tkIndex = {};
  for (var k = 0; k < nTk; k++) {
    var s1 = tkOff[k], e1 = tkOff[k + 1];
    tkIndex[TK.id[k]] = k;
    if (e1 <= s1) { tkT0[k] = Infinity; tkT1[k] = -Infinity; continue; }
    tkT0[k] = tkT[s1];
    tkT1[k] = isNaN(tkDrop[k]) ? tkT[e1 - 1] + HOLD_S : Math.max(tkDrop[k], tkT[e1 - 1]);
  }

  // interceptors: each on the path it flew (launcher, every 0.5 s, its end), grouped by
  // interceptor like the truth; drawn from its launch to its last sample
  var SH = D.shots, nSh = SH.t0.length;
  var shT0 = numbers(SH.t0), shT1 = numbers(SH.t1), shEnd = numbers(SH.end),
      shMiss = numbers(SH.miss);
  var SP = SH.path;
  var spOff = offsets(SP.n), spT = cum(SP.t, Q.t), spX = cum(SP.x, Q.xy), spY = cum(SP.y, Q.xy),
      spH = cum(SP.h, Q.h);
  var headJ = new Int32Array(nSh), headX = new Float64Array(nSh), headY = new Float64Array(nSh);

  var EV = D.events, nEv = EV.t.length;
  var evT = numbers(EV.t), evK = Int8Array.from(EV.k), evX = scaled(EV.x, Q.xy),
      evY = scaled(EV.y, Q.xy), evH = scaled(EV.h, Q.h);

  // time buckets: for each 10 s bucket, the objects (tracks) alive in it
  var NB = Math.max(1, Math.ceil(DUR / BUCKET_S) + 1);
  function bucketOf(t) {
    var b = Math.floor(t / BUCKET_S);
    return b < 0 ? 0 : b >= NB ? NB - 1 : b;
  }
  function buckets(n, t0, t1) {
    var cnt = new Int32Array(NB + 1), i, b;
    for (i = 0; i < n; i++) {
      if (!(t0[i] <= t1[i])) continue;
      for (b = bucketOf(t0[i]); b <= bucketOf(t1[i]); b++) cnt[b + 1]++;
    }
    for (b = 0; b < NB; b++) cnt[b + 1] += cnt[b];
    var items = new Int32Array(cnt[NB]), fill = cnt.slice(0, NB);
    for (i = 0; i < n; i++) {
      if (!(t0[i] <= t1[i])) continue;
      for (b = bucketOf(t0[i]); b <= bucketOf(t1[i]); b++) items[fill[b]++] = i;
    }
    return { off: cnt, items: items };
  }
  var obBk = buckets(nObj, obT0, obT1), tkBk = buckets(nTk, tkT0, tkT1);

  // ---------- state ----------
  var T = 0, playing = false, speed = 10, selected = -1, selBat = -1;
  var dirty = true, staticDirty = true, lastTs = null;
  var layers = {};
  var stats = { frames: 0, lastDrawMs: 0, avgDrawMs: 0, tracksDrawn: 0 };
  var visN = 0, visK = new Int32Array(nTk), visX = new Float32Array(nTk),
      visY = new Float32Array(nTk), visPX = new Float32Array(nTk), visPY = new Float32Array(nTk);

  var $ = function (id) { return document.getElementById(id); };
  var plan = $('plan'), prof = $('profile'), pctx = plan.getContext('2d'),
      fctx = prof.getContext('2d');
  var planStatic = document.createElement('canvas'), profStatic = document.createElement('canvas');
  var playBtn = $('play'), speedSel = $('speed'), scrub = $('scrubber'), clock = $('clock'),
      statusEl = $('status'), details = $('details'), detailsBody = $('details-body');
  var W = 0, H = 0, PW = 0, PH = 0, dpr = 1;
  var view = { cx: 0, cy: 0, s: 1e-3 };
  var EXT = D.extent;

  // ---------- formatting ----------
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function fmtClock(t, decimals) {
    var neg = t < 0; t = Math.abs(t);
    var m = Math.floor(t / 60), s = t - m * 60;
    var ss = decimals ? (s < 10 ? '0' : '') + s.toFixed(1) : pad2(Math.floor(s));
    return (neg ? '-' : '') + pad2(m) + ':' + ss;
  }
  function fmtS(t) { return isFinite(t) ? t.toFixed(1) + ' s' : '–'; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  // ---------- geometry ----------
  function sx(x) { return W / 2 + (x - view.cx) * view.s; }
  function sy(y) { return H / 2 - (y - view.cy) * view.s; }
  var PAD_L = 48, PAD_R = 12, PAD_T = 10, PAD_B = 22;
  var RMAX = Math.max(EXT.rmax, 1000), HMAX = Math.max(EXT.hmax, 1000);
  function symlog(h) { return Math.log(1 + Math.max(h, 0) / 100) / Math.LN10; }
  var YMAX = symlog(HMAX);
  function px(r) { return PAD_L + r / RMAX * (PW - PAD_L - PAD_R); }
  function py(h) { return PH - PAD_B - symlog(h) / YMAX * (PH - PAD_B - PAD_T); }
  function nice(v) {
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10)), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fitView() {
    var dx = Math.max(EXT.xmax - EXT.xmin, 2000), dy = Math.max(EXT.ymax - EXT.ymin, 2000);
    view.cx = (EXT.xmin + EXT.xmax) / 2;
    view.cy = (EXT.ymin + EXT.ymax) / 2;
    view.s = Math.min(W / (dx * 1.08), H / (dy * 1.08)) || 1e-3;
    staticDirty = dirty = true;
  }

  // symbols by identity: unknown triangle, civil square, friend circle, hostile diamond
  function symbol(p, x, y, r, idn) {
    if (idn === 3) {
      p.moveTo(x, y - r); p.lineTo(x + r, y); p.lineTo(x, y + r); p.lineTo(x - r, y);
      p.closePath();
    } else if (idn === 1) {
      p.rect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6);
    } else if (idn === 2) {
      p.moveTo(x + r * 0.85, y); p.arc(x, y, r * 0.85, 0, 6.2832);
    } else {
      p.moveTo(x, y - r); p.lineTo(x + r, y + r * 0.75); p.lineTo(x - r, y + r * 0.75);
      p.closePath();
    }
  }

  // ---------- static layers (grid, sites): redrawn only when the view changes ----------
  function drawPlanStatic() {
    var c = planStatic.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.fillStyle = '#0d1117';
    c.fillRect(0, 0, W, H);
    var step = nice(90 / view.s);
    var x0 = view.cx - W / 2 / view.s, x1 = view.cx + W / 2 / view.s;
    var y0 = view.cy - H / 2 / view.s, y1 = view.cy + H / 2 / view.s;
    var v;
    c.lineWidth = 1;
    c.strokeStyle = '#1c2430';
    c.beginPath();
    for (v = Math.ceil(x0 / step) * step; v <= x1; v += step) {
      c.moveTo(Math.round(sx(v)) + 0.5, 0); c.lineTo(Math.round(sx(v)) + 0.5, H);
    }
    for (v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
      c.moveTo(0, Math.round(sy(v)) + 0.5); c.lineTo(W, Math.round(sy(v)) + 0.5);
    }
    c.stroke();
    c.strokeStyle = '#2d3846';
    c.beginPath();
    c.moveTo(sx(0), 0); c.lineTo(sx(0), H); c.moveTo(0, sy(0)); c.lineTo(W, sy(0));
    c.stroke();
    c.fillStyle = '#6e7681';
    c.font = '10px system-ui, sans-serif';
    c.textBaseline = 'bottom';
    for (v = Math.ceil(x0 / step) * step; v <= x1; v += step) {
      c.fillText(Math.round(v / 1000) + ' km', sx(v) + 3, H - 2);
    }
    c.textBaseline = 'middle';
    for (v = Math.ceil(y0 / step) * step; v <= y1; v += step) {
      c.fillText(Math.round(v / 1000) + ' km', 3, sy(v) - 6);
    }
    c.fillText('E →  N ↑  (scenario ENU frame)', 3, 10);
    if (!layers.sites) return;
    var i, a, X, Y;
    c.font = '11px system-ui, sans-serif';
    c.textBaseline = 'middle';
    for (i = 0; i < D.assets.length; i++) {
      a = D.assets[i];
      var r = Math.max((a.r || 0) * view.s, 4);
      c.beginPath(); c.arc(sx(a.x), sy(a.y), r, 0, 6.2832);
      c.fillStyle = 'rgba(88,166,255,0.10)'; c.fill();
      c.strokeStyle = 'rgba(88,166,255,0.75)'; c.lineWidth = 1.2; c.stroke();
      c.fillStyle = '#9ecbff';
      c.fillText(a.name, sx(a.x) + r + 4, sy(a.y));
    }
    for (i = 0; i < D.sensors.length; i++) {
      a = D.sensors[i];
      var col = SENSOR_COL[i % SENSOR_COL.length];
      X = sx(a.x); Y = sy(a.y);
      if (a.range) {
        var R = a.range * view.s;
        c.setLineDash([4, 5]); c.strokeStyle = col; c.globalAlpha = 0.35; c.lineWidth = 1;
        c.beginPath();
        if (a.scan === 'sector' && a.width && a.width < 6.28) {
          var th = (a.boresight || 0) - Math.PI / 2;
          c.moveTo(X, Y); c.arc(X, Y, R, th - a.width / 2, th + a.width / 2); c.closePath();
        } else {
          c.arc(X, Y, R, 0, 6.2832);
        }
        c.stroke(); c.setLineDash([]); c.globalAlpha = 1;
      }
      c.beginPath(); c.moveTo(X, Y - 6); c.lineTo(X + 5, Y + 4); c.lineTo(X - 5, Y + 4);
      c.closePath(); c.fillStyle = col; c.fill();
      c.fillStyle = col; c.fillText(a.name, X + 8, Y + 1);
    }
    // batteries: a square at the site; the selected one with a ring per missile type it
    // carries (its reach: solid from the flyout table, dashed from its max range)
    for (i = 0; i < BAT.length; i++) {
      a = BAT[i];
      X = sx(a.x); Y = sy(a.y);
      if (i === selBat) {
        c.lineWidth = 1.2;
        for (var m = 0; m < a.missiles.length; m++) {
          var ms = a.missiles[m];
          if (!(ms.reach > 0)) continue;
          var rc = RING_COL[m % RING_COL.length], rr = ms.reach * view.s;
          c.strokeStyle = c.fillStyle = rc;
          c.setLineDash(ms.reachFrom === 'flyout' ? [] : [6, 4]);
          c.beginPath(); c.arc(X, Y, rr, 0, 6.2832); c.stroke();
          c.fillText(ms.name + ' ' + Math.round(ms.reach / 1000) + ' km', X + 4, Y - rr - 7);
        }
        c.setLineDash([]);
        c.strokeStyle = '#ffffff'; c.lineWidth = 1.5; c.strokeRect(X - 6, Y - 6, 12, 12);
      }
      c.fillStyle = SHOT_COL; c.fillRect(X - 4, Y - 4, 8, 8);
      c.fillText(a.name, X + 8, Y + 12);
    }
  }

  function drawProfStatic() {
    var c = profStatic.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.fillStyle = '#0b0f14';
    c.fillRect(0, 0, PW, PH);
    c.font = '10px system-ui, sans-serif';
    c.lineWidth = 1;
    var step = nice(RMAX / Math.max((PW - PAD_L) / 90, 1)), v;
    c.strokeStyle = '#1c2430'; c.fillStyle = '#6e7681';
    c.beginPath();
    c.textBaseline = 'top';
    for (v = 0; v <= RMAX; v += step) {
      c.moveTo(Math.round(px(v)) + 0.5, PAD_T); c.lineTo(Math.round(px(v)) + 0.5, PH - PAD_B);
      c.fillText(Math.round(v / 1000) + ' km', px(v) + 2, PH - PAD_B + 4);
    }
    var ticks = [0, 100, 1000, 3000, 10000, 30000, 100000, 300000, 1000000];
    c.textBaseline = 'middle';
    for (var i = 0; i < ticks.length && ticks[i] <= HMAX; i++) {
      v = ticks[i];
      c.moveTo(PAD_L, Math.round(py(v)) + 0.5); c.lineTo(PW - PAD_R, Math.round(py(v)) + 0.5);
      c.fillText(v >= 1000 ? v / 1000 + ' km' : v + ' m', 4, py(v));
    }
    c.stroke();
    c.textAlign = 'right';
    c.fillText('height (log scale) against ground range from the origin', PW - PAD_R - 4,
               PAD_T + 6);
    c.textAlign = 'left';
    if (!layers.sites) return;
    var a;
    for (i = 0; i < D.assets.length; i++) {
      a = D.assets[i];
      var r0 = Math.hypot(a.x, a.y), rr = a.r || 0;
      c.fillStyle = 'rgba(88,166,255,0.35)';
      c.fillRect(px(Math.max(r0 - rr, 0)), PH - PAD_B - 3, Math.max(px(r0 + rr) - px(Math.max(r0 - rr, 0)), 2), 3);
    }
    for (i = 0; i < D.sensors.length; i++) {
      a = D.sensors[i];
      var X = px(Math.hypot(a.x, a.y)), Y = PH - PAD_B;
      c.beginPath(); c.moveTo(X, Y - 7); c.lineTo(X + 4, Y); c.lineTo(X - 4, Y); c.closePath();
      c.fillStyle = SENSOR_COL[i % SENSOR_COL.length]; c.fill();
    }
  }

  // ---------- the frame ----------
  var visShots = 0, lastStatus = '';
  function draw() {
    var t0 = performance.now();
    if (staticDirty) { drawPlanStatic(); drawProfStatic(); staticDirty = false; }
    pctx.setTransform(1, 0, 0, 1, 0, 0); pctx.drawImage(planStatic, 0, 0);
    fctx.setTransform(1, 0, 0, 1, 0, 0); fctx.drawImage(profStatic, 0, 0);
    pctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    fctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    var b = bucketOf(T), i, j, k, n, s, e, x, y, h, r, X, Y, f;
    var counts = [0, 0, 0, 0], tentative = 0, plots = 0;

    // truth: paths of the last minute and dots, civil and hostile
    if (layers.truth) {
      var tp = [new Path2D(), new Path2D()], tq = [new Path2D(), new Path2D()];
      var td = [new Path2D(), new Path2D()], tf = [new Path2D(), new Path2D()];
      for (n = obBk.off[b]; n < obBk.off[b + 1]; n++) {
        var o = obBk.items[n];
        if (T < obT0[o] || T > obT1[o]) continue;
        s = trOff[o]; e = trOff[o + 1];
        i = lastLE(trT, s, e, T);
        if (i < s) continue;
        if (i + 1 < e && trT[i + 1] > trT[i]) {
          f = (T - trT[i]) / (trT[i + 1] - trT[i]);
          x = trX[i] + f * (trX[i + 1] - trX[i]); y = trY[i] + f * (trY[i + 1] - trY[i]);
          h = trH[i] + f * (trH[i + 1] - trH[i]);
        } else { x = trX[i]; y = trY[i]; h = trH[i]; }
        var g = OB_HOST[o], p = tp[g], q = tq[g];
        var j0 = firstGE(trT, s, i + 1, T - TRAIL_S);
        X = sx(x); Y = sy(y);
        p.moveTo(X, Y);
        q.moveTo(px(Math.hypot(x, y)), py(h));
        for (var jj = i; jj >= j0; jj--) {
          p.lineTo(sx(trX[jj]), sy(trY[jj]));
          q.lineTo(px(Math.hypot(trX[jj], trY[jj])), py(trH[jj]));
        }
        td[g].rect(X - 1.5, Y - 1.5, 3, 3);
        tf[g].rect(px(Math.hypot(x, y)) - 1, py(h) - 1, 2, 2);
      }
      pctx.lineWidth = 1; fctx.lineWidth = 1;
      for (g = 0; g < 2; g++) {
        pctx.strokeStyle = TRUTH_COL[g]; pctx.stroke(tp[g]);
        fctx.strokeStyle = TRUTH_COL[g]; fctx.stroke(tq[g]);
        pctx.fillStyle = TRUTH_DOT[g]; pctx.fill(td[g]);
        fctx.fillStyle = TRUTH_DOT[g]; fctx.fill(tf[g]);
      }
    }

    // plots of the last scan period, by sensor, the older half fainter
    if (layers.plots && nPl) {
      var p0 = firstGE(plT, 0, nPl, T - PERSIST), p1 = lastLE(plT, 0, nPl, T) + 1;
      var ns = Math.max(D.sensors.length, 1), pp = [], pq = [];
      for (i = 0; i < 2 * ns; i++) { pp.push(new Path2D()); pq.push(new Path2D()); }
      for (i = p0; i < p1; i++) {
        var gi = (plS[i] % ns) * 2 + (T - plT[i] > PERSIST / 2 ? 1 : 0);
        X = sx(plX[i]); Y = sy(plY[i]);
        pp[gi].moveTo(X - 2.5, Y); pp[gi].lineTo(X + 2.5, Y);
        pp[gi].moveTo(X, Y - 2.5); pp[gi].lineTo(X, Y + 2.5);
        pq[gi].rect(px(Math.hypot(plX[i], plY[i])) - 1, py(plH[i]) - 1, 2, 2);
      }
      plots = Math.max(p1 - p0, 0);
      pctx.lineWidth = 1;
      for (i = 0; i < 2 * ns; i++) {
        pctx.globalAlpha = fctx.globalAlpha = i % 2 ? 0.35 : 0.85;
        pctx.strokeStyle = fctx.fillStyle = SENSOR_COL[(i >> 1) % SENSOR_COL.length];
        pctx.stroke(pp[i]); fctx.fill(pq[i]);
      }
      pctx.globalAlpha = fctx.globalAlpha = 1;
    }

    // tracks: symbol by identity (dashed when coasting), leader, trail, number
    visN = 0;
    var showT = layers.tracks, showTent = layers.tentative;
    if (showT || showTent) {
      var sym = [], symP = [], lead = [], trail = [], trailP = [];
      for (i = 0; i < 12; i++) { sym.push(new Path2D()); symP.push(new Path2D()); }
      for (i = 0; i < 4; i++) {
        lead.push(new Path2D()); trail.push(new Path2D()); trailP.push(new Path2D());
      }
      for (n = tkBk.off[b]; n < tkBk.off[b + 1]; n++) {
        k = tkBk.items[n];
        if (T < tkT0[k] || T > tkT1[k]) continue;
        s = tkOff[k]; e = tkOff[k + 1];
        i = lastLE(tkT, s, e, T);
        if (i < s) continue;
        var st = tkSt[i], idn = tkId[i];
        if (st === 0 ? !showTent : !showT) continue;
        var dt = Math.min(T - tkT[i], MAX_EXTRAP_S);
        x = tkX[i] + tkVX[i] * dt; y = tkY[i] + tkVY[i] * dt; h = tkH[i] + tkVH[i] * dt;
        X = sx(x); Y = sy(y);
        r = Math.hypot(x, y);
        var PX = px(r), PY = py(h);
        symbol(sym[idn * 3 + st], X, Y, st === 0 ? 3.5 : 6, idn);
        symbol(symP[idn * 3 + st], PX, PY, st === 0 ? 2.5 : 4, idn);
        if (st === 0) tentative++; else counts[idn]++;
        visK[visN] = k; visX[visN] = X; visY[visN] = Y; visPX[visN] = PX; visPY[visN] = PY;
        visN++;
        if (st === 0) continue;
        lead[idn].moveTo(X, Y);
        lead[idn].lineTo(sx(x + tkVX[i] * LEADER_S), sy(y + tkVY[i] * LEADER_S));
        if (layers.trails) {
          var j1 = firstGE(tkT, s, i + 1, T - TRAIL_S);
          trail[idn].moveTo(X, Y); trailP[idn].moveTo(PX, PY);
          for (var m = i; m >= j1; m--) {
            trail[idn].lineTo(sx(tkX[m]), sy(tkY[m]));
            trailP[idn].lineTo(px(Math.hypot(tkX[m], tkY[m])), py(tkH[m]));
          }
        }
      }
      for (idn = 0; idn < 4; idn++) {
        pctx.strokeStyle = fctx.strokeStyle = ID_COL[idn];
        pctx.globalAlpha = fctx.globalAlpha = 0.45; pctx.lineWidth = fctx.lineWidth = 1;
        pctx.stroke(trail[idn]); fctx.stroke(trailP[idn]);
        pctx.globalAlpha = 0.8; pctx.stroke(lead[idn]);
        for (st = 0; st < 3; st++) {
          pctx.globalAlpha = fctx.globalAlpha = st === 0 ? 0.55 : 1;
          pctx.lineWidth = fctx.lineWidth = st === 0 ? 1 : 1.8;
          if (st === 2) { pctx.setLineDash([2, 2]); fctx.setLineDash([2, 2]); }
          pctx.stroke(sym[idn * 3 + st]); fctx.stroke(symP[idn * 3 + st]);
          if (st === 2) { pctx.setLineDash([]); fctx.setLineDash([]); }
        }
      }
      pctx.globalAlpha = fctx.globalAlpha = 1;
      if (layers.labels && showT) {
        pctx.font = '11px system-ui, sans-serif';
        pctx.textBaseline = 'middle';
        for (n = 0; n < visN; n++) {
          k = visK[n];
          i = lastLE(tkT, tkOff[k], tkOff[k + 1], T);
          if (tkSt[i] === 0) continue;
          pctx.fillStyle = ID_COL[tkId[i]];
          pctx.fillText(TK.id[k], visX[n] + 8, visY[n] - 7);
        }
      }
    }
    stats.tracksDrawn = visN;

    // interceptors in flight: the path flown so far and a head
    visShots = 0;
    if (layers.interceptors && nSh) {
      var sl = new Path2D(), sh = new Path2D(), fl = new Path2D(), fh = new Path2D();
      for (j = 0; j < nSh; j++) {
        s = spOff[j]; e = spOff[j + 1];
        if (e <= s || !(T >= shT0[j] && T <= shT1[j])) continue;
        i = Math.max(lastLE(spT, s, e, T), s);
        f = i + 1 < e && spT[i + 1] > spT[i] ? Math.min((T - spT[i]) / (spT[i + 1] - spT[i]), 1) : 0;
        var i1 = Math.min(i + 1, e - 1);
        x = spX[i] + f * (spX[i1] - spX[i]); y = spY[i] + f * (spY[i1] - spY[i]);
        h = spH[i] + f * (spH[i1] - spH[i]);
        X = sx(x); Y = sy(y);
        sl.moveTo(sx(spX[s]), sy(spY[s]));
        fl.moveTo(px(Math.hypot(spX[s], spY[s])), py(spH[s]));
        for (m = s + 1; m <= i; m++) {
          sl.lineTo(sx(spX[m]), sy(spY[m]));
          fl.lineTo(px(Math.hypot(spX[m], spY[m])), py(spH[m]));
        }
        var PX1 = px(Math.hypot(x, y));
        sl.lineTo(X, Y); fl.lineTo(PX1, py(h));
        sh.moveTo(X + 3, Y); sh.arc(X, Y, 3, 0, 6.2832);
        fh.moveTo(PX1 + 2.5, py(h)); fh.arc(PX1, py(h), 2.5, 0, 6.2832);
        headJ[visShots] = j; headX[visShots] = x; headY[visShots] = y;
        visShots++;
      }
      pctx.strokeStyle = fctx.strokeStyle = SHOT_COL; pctx.fillStyle = fctx.fillStyle = SHOT_COL;
      pctx.globalAlpha = fctx.globalAlpha = 0.55; pctx.lineWidth = fctx.lineWidth = 1;
      pctx.stroke(sl); fctx.stroke(fl);
      pctx.globalAlpha = fctx.globalAlpha = 1;
      pctx.fill(sh); fctx.fill(fh);
    }

    // events so far: recent ones bright and large, older ones faint
    var evCount = [0, 0, 0, 0];
    var eLast = nEv ? lastLE(evT, 0, nEv, T) : -1;
    for (j = 0; j <= eLast; j++) evCount[evK[j]]++;
    if (layers.events && eLast >= 0) {
      var ep = [], eq = [];
      for (i = 0; i < 8; i++) { ep.push(new Path2D()); eq.push(new Path2D()); }
      for (j = 0; j <= eLast; j++) {
        var kind = evK[j], recent = T - evT[j] < 15 ? 1 : 0, gk = kind * 2 + recent;
        var rr = recent ? 8 : 4;
        X = sx(evX[j]); Y = sy(evY[j]);
        var FX = px(Math.hypot(evX[j], evY[j])), FY = py(evH[j]);
        if (kind === 0) {  // kill: a burst
          burst(ep[gk], X, Y, rr); burst(eq[gk], FX, FY, rr * 0.7);
        } else if (kind === 3) {  // asset hit: a ring and a cross
          ep[gk].moveTo(X + rr * 1.6, Y); ep[gk].arc(X, Y, rr * 1.6, 0, 6.2832);
          cross(ep[gk], X, Y, rr); cross(eq[gk], FX, FY, rr * 0.7);
        } else {  // miss (small) and leak (large): a cross
          cross(ep[gk], X, Y, kind === 2 ? rr * 1.3 : rr * 0.6);
          cross(eq[gk], FX, FY, kind === 2 ? rr : rr * 0.5);
        }
      }
      for (i = 0; i < 8; i++) {
        pctx.strokeStyle = fctx.strokeStyle = EV_COL[i >> 1];
        pctx.globalAlpha = fctx.globalAlpha = i % 2 ? 1 : 0.45;
        pctx.lineWidth = fctx.lineWidth = i % 2 ? 2 : 1.2;
        pctx.stroke(ep[i]); fctx.stroke(eq[i]);
      }
      pctx.globalAlpha = fctx.globalAlpha = 1;
    }

    // the selected track: its whole path so far and a ring
    if (selected >= 0) drawSelected();

    var text = 'tracks ' + (counts[0] + counts[1] + counts[2] + counts[3]) +
      ' (hostile ' + counts[3] + ', unknown ' + counts[0] + ', civil ' + counts[1] +
      (counts[2] ? ', friend ' + counts[2] : '') + ')' +
      (layers.tentative ? ' · tentative ' + tentative : '') +
      ' · plots shown ' + plots + ' · interceptors in flight ' + visShots +
      ' · kills ' + evCount[0] + ' · misses ' + evCount[1] + ' · leaks ' + evCount[2] +
      ' · assets hit ' + evCount[3];
    if (text !== lastStatus) { statusEl.textContent = text; lastStatus = text; }
    var c = fmtClock(T, true);
    if (clock.textContent.slice(2, 2 + c.length) !== c) {
      clock.textContent = 'T+' + c + ' / ' + fmtClock(DUR, false);
    }
    if (Math.abs(+scrub.value - T) >= 0.05) scrub.value = T.toFixed(1);
    stats.frames++;
    stats.lastDrawMs = performance.now() - t0;
    stats.avgDrawMs = stats.frames === 1 ? stats.lastDrawMs
      : 0.9 * stats.avgDrawMs + 0.1 * stats.lastDrawMs;
  }

  function cross(p, x, y, r) {
    p.moveTo(x - r, y - r); p.lineTo(x + r, y + r); p.moveTo(x + r, y - r); p.lineTo(x - r, y + r);
  }
  function burst(p, x, y, r) {
    for (var a = 0; a < 8; a++) {
      var c = Math.cos(a * 0.7854), s = Math.sin(a * 0.7854), r0 = a % 2 ? r * 0.4 : r * 0.25;
      p.moveTo(x + c * r0, y + s * r0); p.lineTo(x + c * (a % 2 ? r * 0.75 : r), y + s * (a % 2 ? r * 0.75 : r));
    }
  }

  function drawSelected() {
    var k = selected, s = tkOff[k], e = tkOff[k + 1];
    var i = lastLE(tkT, s, e, T);
    var p = new Path2D(), q = new Path2D();
    for (var m = s; m <= i; m++) {
      var X = sx(tkX[m]), Y = sy(tkY[m]);
      var PX = px(Math.hypot(tkX[m], tkY[m])), PY = py(tkH[m]);
      if (m === s) { p.moveTo(X, Y); q.moveTo(PX, PY); } else { p.lineTo(X, Y); q.lineTo(PX, PY); }
    }
    pctx.strokeStyle = fctx.strokeStyle = '#ffffff';
    pctx.lineWidth = fctx.lineWidth = 1.5;
    pctx.globalAlpha = fctx.globalAlpha = 0.8;
    pctx.stroke(p); fctx.stroke(q);
    pctx.globalAlpha = fctx.globalAlpha = 1;
    for (var n = 0; n < visN; n++) {
      if (visK[n] !== k) continue;
      pctx.beginPath(); pctx.arc(visX[n], visY[n], 11, 0, 6.2832); pctx.stroke();
      fctx.beginPath(); fctx.arc(visPX[n], visPY[n], 8, 0, 6.2832); fctx.stroke();
    }
  }

  // ---------- details of a track ----------
  function showDetails(k) {
    var id = TK.id[k], s = tkOff[k], e = tkOff[k + 1];
    var live = T >= tkT[s] && T <= tkT1[k];
    var i = live ? lastLE(tkT, s, e, T) : e - 1;  // its row now, or its last one
    var idn = tkId[i], html = [];
    html.push('<h2>Track ' + esc(id) + ' <span class="idn" style="background:' + ID_COL[idn] +
      '">' + esc(ID_NAMES[idn]) + '</span></h2>');
    html.push('<dl>');
    var dd = function (a, b) { html.push('<dt>' + esc(a) + '</dt><dd>' + b + '</dd>'); };
    dd('status at ' + fmtClock(T, true),
       esc(live ? ST_NAMES[tkSt[i]] : T < tkT[s] ? 'not yet started' : 'ended'));
    dd('first update', fmtS(tkT[s]));
    dd('confirmed', fmtS(tkConf[k]));
    dd('last update', fmtS(tkT[e - 1]));
    dd('dropped', fmtS(tkDrop[k]));
    dd('updates shown', String(e - s));
    var hist = TK.identity[k] || [];
    dd('identity', hist.length ? hist.map(function (h) {
      return esc(ID_NAMES[h[1]]) + ' at ' + h[0].toFixed(1) + ' s';
    }).join(', ') : 'never identified (unknown)');
    var obj = TK.truth[k];
    if (obj >= 0) {
      dd('truth (scoring only)', esc(OB.name[obj]) + ' · ' + esc(D.categories[OB.cat[obj]]) +
        (OB.reason[obj] ? ' · ended ' + esc(OB.reason[obj]) + ' at ' + fmtS(OB.end[obj]) : ''));
    }
    html.push('</dl>');
    // engagements: the interceptors fired at this track or guided on it at their end (the
    // record's own ids), and what became of them
    var rows = [];
    for (var j = 0; j < nSh; j++) {
      if (SH.track[j] !== id && SH.endTrack[j] !== id) continue;
      var moved = SH.track[j] !== SH.endTrack[j] && SH.endTrack[j] >= 0;
      rows.push('<tr><td>' + esc(SH.id[j]) + '</td><td>' + fmtS(shT0[j]) + '</td><td class="l">' +
        esc(SH.batteryNames[SH.battery[j]]) + '</td><td class="l">' +
        esc(SH.missiles[SH.missile[j]]) + '</td><td class="l">' +
        esc(SH.outcomes[SH.outcome[j]].replace('_', ' ')) +
        (moved ? ' (track ' + esc(SH.track[j]) + ' → ' + esc(SH.endTrack[j]) + ')' : '') +
        '</td><td>' + (isFinite(shMiss[j]) ? shMiss[j].toFixed(1) : '–') + '</td><td>' +
        fmtS(shEnd[j]) + '</td></tr>');
    }
    html.push('<h3>Engagements (' + rows.length + ' interceptor' + (rows.length === 1 ? '' : 's') + ')</h3>');
    if (rows.length) {
      html.push('<table id="details-engagements"><thead><tr><th>#</th><th>launch</th>' +
        '<th class="l">battery</th><th class="l">missile</th><th class="l">end</th>' +
        '<th>miss m</th><th>ended</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>');
    } else {
      html.push('<p>None fired at this track.</p>');
    }
    var evRows = [];
    for (j = 0; j < nEv; j++) {
      if (EV.track[j] === id || (obj >= 0 && EV.obj[j] === obj && (evK[j] === 2 || evK[j] === 3))) {
        evRows.push(esc(EV.kinds[evK[j]].replace('_', ' ')) + ' at ' + fmtS(evT[j]) +
          (EV.note[j] ? ' (' + esc(EV.note[j]) + ')' : ''));
      }
    }
    if (evRows.length) html.push('<p>' + evRows.join('<br>') + '</p>');
    html.push('<h3>Positions</h3><div class="scroll"><table id="details-positions"><thead><tr>' +
      '<th>t s</th><th>east km</th><th>north km</th><th>height m</th><th>m/s</th>' +
      '<th class="l">status</th><th class="l">identity</th></tr></thead><tbody>');
    for (var m = s; m < e; m++) {
      html.push('<tr><td>' + tkT[m].toFixed(1) + '</td><td>' + (tkX[m] / 1000).toFixed(2) +
        '</td><td>' + (tkY[m] / 1000).toFixed(2) + '</td><td>' + Math.round(tkH[m]) +
        '</td><td>' + Math.round(Math.hypot(tkVX[m], tkVY[m], tkVH[m])) + '</td><td class="l">' +
        ST_NAMES[tkSt[m]] + '</td><td class="l">' + ID_NAMES[tkId[m]] + '</td></tr>');
    }
    html.push('</tbody></table></div>');
    detailsBody.innerHTML = html.join('');
    details.hidden = false;
    details.dataset.track = String(id);
    resize();
  }

  // ---------- details of a battery ----------
  function num(v, k, d) { return v === null || v === undefined ? '–' : (v * (k || 1)).toFixed(d || 0); }
  function showBattery(i) {
    var a = BAT[i], html = [];
    html.push('<h2>Battery ' + esc(a.name) + '</h2><dl>');
    var dd = function (k, v) { html.push('<dt>' + esc(k) + '</dt><dd>' + v + '</dd>'); };
    if (a.preset) dd('preset', esc(a.preset));
    dd('site', num(a.x, 1e-3, 2) + ' km E, ' + num(a.y, 1e-3, 2) + ' km N' +
      (a.lat !== undefined && a.lat !== null ? ' (' + num(a.lat, 1, 4) + '°, ' + num(a.lon, 1, 4) + '°)' : ''));
    if (a.launchers !== undefined) {
      dd('launchers', num(a.launchers));
      dd('channels', num(a.targetChannels) + ' target, ' + num(a.missileChannels) + ' missile');
      dd('launch interval', num(a.interval, 1, 1) + ' s');
      dd('reaction time', num(a.reaction, 1, 1) + ' s');
    }
    var fired = 0, firedNow = 0, j, m;
    for (j = 0; j < nSh; j++) {
      if (SH.batteryNames[SH.battery[j]] !== a.name) continue;
      fired++;
      if (shT0[j] <= T) firedNow++;
    }
    dd('fired', fired + ' interceptor' + (fired === 1 ? '' : 's') + ' (' + firedNow + ' by ' +
      fmtClock(T, true) + ')');
    html.push('</dl>');
    if (!a.carried) {
      html.push('<p>This run has no batteries table: the battery is shown at its first ' +
        'launch site, with the missile types it fired only.</p>');
    }
    html.push('<h3>Missiles</h3><table id="details-missiles"><thead><tr><th class="l">missile' +
      '</th><th>loaded</th><th>fired</th><th>left</th><th>range km</th><th>reach km</th>' +
      '<th>alt km</th><th>US$M</th></tr></thead><tbody>');
    for (m = 0; m < a.missiles.length; m++) {
      var ms = a.missiles[m];
      html.push('<tr><td class="l">' + esc(ms.name) + '</td><td>' + num(ms.loaded) + '</td><td>' +
        num(ms.fired) + '</td><td>' + num(ms.left) + '</td><td>' + num(ms.minRange, 1e-3) + '–' +
        num(ms.maxRange, 1e-3) + '</td><td>' + num(ms.reach, 1e-3) +
        (ms.reachFrom ? ' (' + esc(ms.reachFrom) + ')' : '') + '</td><td>' +
        num(ms.minAlt, 1e-3, 2) + '–' + num(ms.maxAlt, 1e-3, 0) + '</td><td>' +
        num(ms.cost, 1e-6, 2) + '</td></tr>');
    }
    html.push('</tbody></table><p>Reach: the ring drawn around the battery, the farthest ' +
      'ground range in the run\'s flyout table (solid), else the maximum range (dashed).</p>');
    detailsBody.innerHTML = html.join('');
    details.hidden = false;
    delete details.dataset.track;
    details.dataset.battery = a.name;
    resize();
  }

  function closeDetails() {
    details.hidden = true;
    delete details.dataset.track;
    delete details.dataset.battery;
    resize();
  }

  function select(k) {
    if (k === selected && selBat < 0) return;
    if (selBat >= 0) { selBat = -1; staticDirty = true; }
    selected = k;
    if (k >= 0) { delete details.dataset.battery; showDetails(k); } else closeDetails();
    dirty = true;
  }

  function selectBattery(i) {
    if (i < 0) { if (selBat >= 0) { selBat = -1; closeDetails(); } staticDirty = dirty = true; return; }
    selected = -1;
    selBat = i;
    showBattery(i);
    staticDirty = dirty = true;
  }

  function hitBattery(x, y) {
    if (!layers.sites) return -1;
    var best = -1, bd = 10 * 10;
    for (var i = 0; i < BAT.length; i++) {
      var dx = sx(BAT[i].x) - x, dy = sy(BAT[i].y) - y, d = dx * dx + dy * dy;
      if (d <= bd) { bd = d; best = i; }
    }
    return best;
  }

  function hit(xs, ys, x, y) {
    var best = -1, bd = 12 * 12;
    for (var n = 0; n < visN; n++) {
      var dx = xs[n] - x, dy = ys[n] - y, d = dx * dx + dy * dy;
      if (d <= bd) { bd = d; best = visK[n]; }
    }
    return best;
  }

  // ---------- controls ----------
  function setPlaying(on) {
    if (on && T >= DUR) T = 0;
    playing = !!on;
    playBtn.textContent = playing ? '❚❚ Pause' : '▶ Play';
    playBtn.setAttribute('aria-pressed', playing ? 'true' : 'false');
    lastTs = null;
    dirty = true;
  }
  function seek(t) {
    T = Math.min(Math.max(+t || 0, 0), DUR);
    dirty = true;
  }
  playBtn.addEventListener('click', function () { setPlaying(!playing); });
  speedSel.addEventListener('change', function () { speed = +speedSel.value || 1; });
  speed = +speedSel.value || 10;
  scrub.addEventListener('input', function () { seek(scrub.value); });
  $('details-close').addEventListener('click', function () {
    if (selBat >= 0) selectBattery(-1); else select(-1);
  });
  Array.prototype.forEach.call(document.querySelectorAll('input[id^="layer-"]'), function (el) {
    layers[el.id.slice(6)] = el.checked;
    el.addEventListener('change', function () {
      layers[el.id.slice(6)] = el.checked;
      staticDirty = dirty = true;
    });
  });
  document.addEventListener('keydown', function (ev) {
    var tag = ev.target && ev.target.tagName, type = ev.target && ev.target.type;
    if (tag === 'SELECT' || (tag === 'INPUT' && type !== 'checkbox' && type !== 'range')) return;
    if (ev.key === ' ' || ev.code === 'Space') {
      if (tag === 'BUTTON' || type === 'checkbox') return;  // their own action
      ev.preventDefault(); setPlaying(!playing);
    } else if (type === 'range') {
      return;  // the scrubber's own arrow keys
    } else if (ev.key === 'ArrowRight') { seek(T + 5); } else if (ev.key === 'ArrowLeft') { seek(T - 5); }
  });

  // plan view: drag to pan, wheel to zoom, click to select, double-click to reset
  var drag = null;
  function local(ev, el) { var r = el.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; }
  plan.addEventListener('mousedown', function (ev) {
    if (ev.button !== 0) return;
    var p = local(ev, plan);
    drag = { x: p[0], y: p[1], cx: view.cx, cy: view.cy, moved: false };
  });
  window.addEventListener('mousemove', function (ev) {
    var p = local(ev, plan);
    if (drag) {
      var dx = p[0] - drag.x, dy = p[1] - drag.y;
      if (!drag.moved && dx * dx + dy * dy > 9) { drag.moved = true; plan.classList.add('dragging'); }
      if (drag.moved) {
        view.cx = drag.cx - dx / view.s; view.cy = drag.cy + dy / view.s;
        staticDirty = dirty = true;
      }
      return;
    }
    if (ev.target === plan) {
      plan.classList.toggle('over',
        hit(visX, visY, p[0], p[1]) >= 0 || hitBattery(p[0], p[1]) >= 0);
    }
    else if (ev.target === prof) {
      var q = local(ev, prof);
      prof.classList.toggle('over', hit(visPX, visPY, q[0], q[1]) >= 0);
    }
  });
  window.addEventListener('mouseup', function (ev) {
    if (!drag) return;
    var wasDrag = drag.moved;
    drag = null;
    plan.classList.remove('dragging');
    if (!wasDrag && ev.target === plan) {
      var p = local(ev, plan), k = hit(visX, visY, p[0], p[1]);
      var bi = k < 0 ? hitBattery(p[0], p[1]) : -1;
      if (bi >= 0) selectBattery(bi); else select(k);
    }
  });
  plan.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var p = local(ev, plan), z = Math.exp(-ev.deltaY * 0.0015);
    var wx = view.cx + (p[0] - W / 2) / view.s, wy = view.cy - (p[1] - H / 2) / view.s;
    view.s = Math.min(Math.max(view.s * z, 1e-6), 1);
    view.cx = wx - (p[0] - W / 2) / view.s; view.cy = wy + (p[1] - H / 2) / view.s;
    staticDirty = dirty = true;
  }, { passive: false });
  plan.addEventListener('dblclick', fitView);
  prof.addEventListener('click', function (ev) {
    var p = local(ev, prof), k = hit(visPX, visPY, p[0], p[1]);
    if (k >= 0) select(k);
  });

  // ---------- sizing and the loop ----------
  var fitted = false;
  function resize() {
    dpr = window.devicePixelRatio || 1;
    var a = plan.parentNode, b = prof.parentNode;
    var nw = a.clientWidth, nh = a.clientHeight, mw = b.clientWidth, mh = b.clientHeight;
    if (nw === W && nh === H && mw === PW && mh === PH && plan.width === Math.round(nw * dpr)) return;
    var oldW = W, oldH = H;
    W = nw; H = nh; PW = mw; PH = mh;
    plan.width = planStatic.width = Math.round(W * dpr);
    plan.height = planStatic.height = Math.round(H * dpr);
    prof.width = profStatic.width = Math.round(PW * dpr);
    prof.height = profStatic.height = Math.round(PH * dpr);
    if (!fitted && W > 0 && H > 0) { fitView(); fitted = true; }
    else if (oldW && oldH && W && H) { view.s *= Math.min(W / oldW, H / oldH) || 1; }
    staticDirty = dirty = true;
  }
  if (window.ResizeObserver) {
    var ro = new ResizeObserver(resize);
    ro.observe(plan.parentNode); ro.observe(prof.parentNode);
  }
  window.addEventListener('resize', resize);

  function tick(ts) {
    if (playing) {
      if (lastTs !== null) {
        T += Math.min(ts - lastTs, 250) / 1000 * speed;
        if (T >= DUR) { T = DUR; setPlaying(false); }
        dirty = true;
      }
      lastTs = ts;
    }
    if (dirty && W > 0 && H > 0) { dirty = false; draw(); }
    window.requestAnimationFrame(tick);
  }

  // the legend, once
  var leg = [];
  for (var li = 3; li >= 0; li--) {
    leg.push('<div><i style="background:' + ID_COL[li] + '"></i>track: ' + ID_NAMES[li] + '</div>');
  }
  leg.push('<div><i style="background:' + TRUTH_DOT[1] + '"></i>truth: hostile</div>');
  leg.push('<div><i style="background:' + TRUTH_DOT[0] + '"></i>truth: civil</div>');
  leg.push('<div><i style="background:' + SENSOR_COL[0] + '"></i>plots (colour by radar)</div>');
  leg.push('<div><i style="background:' + SHOT_COL + '"></i>interceptor (straight line to its end)</div>');
  if (BAT.length) {
    leg.push('<div><i style="background:' + SHOT_COL + '"></i>battery (click: rounds and reach)</div>');
  }
  leg.push('<div><i style="background:' + EV_COL[0] + '"></i>kill · <i style="background:' +
    EV_COL[2] + '"></i>leak · <i style="background:' + EV_COL[3] + '"></i>asset hit</div>');
  $('legend').innerHTML = leg.join('');
  $('subtitle').textContent = 'seed ' + D.seed + ' · trial ' + D.trial + ' · ' + nObj +
    ' objects · ' + nTk + ' tracks · ' + nSh + ' interceptors' +
    (PL.total > nPl ? ' · ' + nPl + ' of ' + PL.total + ' plots shown' : '');
  $('subtitle').title = D.description || '';

  window.replay = {
    get time() { return T; },
    get playing() { return playing; },
    get speed() { return speed; },
    get selected() { return selected >= 0 ? TK.id[selected] : null; },
    duration: DUR,
    stats: stats,
    play: function () { setPlaying(true); },
    pause: function () { setPlaying(false); },
    seek: seek,
    setSpeed: function (x) { speed = +x || 1; },
    select: function (id) { select(id === null || !(id in tkIndex) ? -1 : tkIndex[id]); },
    get selectedBattery() { return selBat >= 0 ? BAT[selBat].name : null; },
    selectBattery: function (name) {
      for (var i = 0; i < BAT.length; i++) if (BAT[i].name === name) return selectBattery(i);
      selectBattery(-1);
    },
    /* every battery drawn: name and site in CSS pixels relative to the plan canvas */
    batterySites: function () {
      return BAT.map(function (a) { return { name: a.name, x: sx(a.x), y: sy(a.y) }; });
    },
    /* tracks drawn in the last frame (confirmed and coasting unless tentative are shown):
       track number and position in CSS pixels relative to the plan canvas */
    visibleTracks: function () {
      var out = [];
      for (var n = 0; n < visN; n++) out.push({ id: TK.id[visK[n]], x: visX[n], y: visY[n] });
      return out;
    },
    /* interceptors drawn in the last frame: number and where its head is (ENU m) */
    visibleInterceptors: function () {
      var out = [];
      for (var n = 0; n < visShots; n++) {
        out.push({ id: SH.id[headJ[n]], east: headX[n], north: headY[n] });
      }
      return out;
    },
    /* the first time at which some confirmed track exists, or null */
    firstTrackTime: function () {
      var best = Infinity;
      for (var k = 0; k < nTk; k++) {
        for (var m = tkOff[k]; m < tkOff[k + 1]; m++) {
          if (tkSt[m] !== 0) { if (tkT[m] < best) best = tkT[m]; break; }
        }
      }
      return isFinite(best) ? best : null;
    },
    redraw: function () { dirty = true; draw(); dirty = false; }
  };

  resize();
  window.requestAnimationFrame(tick);
})();
