// wabulk console: keeps the numbers of the page it is on up to date by
// reading the console's JSON every two seconds while the tab is visible.
// Every value is written with textContent: nothing from the data becomes
// markup. The pages are complete without it.
(function () {
  'use strict';
  var INTERVAL = 2000;

  function poll(url, apply) {
    var timer = null, busy = false;
    function tick() {
      if (busy || document.visibilityState === 'hidden') { return; }
      busy = true;
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
        .then(apply)
        .catch(function () { /* the next tick tries again */ })
        .then(function () { busy = false; });
    }
    function start() { if (!timer) { timer = setInterval(tick, INTERVAL); } }
    function stop() { if (timer) { clearInterval(timer); timer = null; } }
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') { stop(); } else { tick(); start(); }
    });
    start();
  }

  // The same words as the server's templates (render.go).
  function num(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function pct(part, total) {
    if (total <= 0) { return '0 %'; }
    var p = part / total * 100;
    if (p > 0 && p < 1) { return p.toFixed(1) + ' %'; }
    return Math.floor(p) + ' %';
  }
  function rate(f) { return f.toFixed(1); }
  function eta(sec) {
    if (!sec || sec <= 0) { return '—'; }
    var s = Math.ceil(sec);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    if (s < 60) { return s + 's'; }
    if (s < 3600) { return Math.floor(s / 60) + 'm ' + two(s % 60) + 's'; }
    if (s < 48 * 3600) { return Math.floor(s / 3600) + 'h ' + two(Math.floor(s % 3600 / 60)) + 'm'; }
    return Math.floor(s / 86400) + 'd ' + Math.floor(s % 86400 / 3600) + 'h';
  }
  function badge(state) {
    switch (state) {
      case 'active': case 'running': case 'delivered': case 'read': case 'sent': case 'accepted': case 'closed': case 'done': return 'ok';
      case 'paused': case 'queued': case 'sending': case 'expired': case 'window_closed': case 'opted_out': return 'warn';
      case 'cancelled': case 'failed': case 'invalid': case 'open': return 'bad';
    }
    return 'idle';
  }
  function set(root, sel, text) {
    var el = root.querySelector(sel);
    if (el && el.textContent !== text) { el.textContent = text; }
  }
  function setBadge(el, state) {
    if (!el) { return; }
    el.textContent = state;
    el.className = 'badge ' + badge(state);
  }
  function setProgress(el, value, max) {
    if (!el) { return; }
    el.max = Math.max(max, 1);
    el.value = value;
  }
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    if (cls) { td.className = cls; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function campaigns(box) {
    poll(box.getAttribute('data-api'), function (rows) {
      rows.forEach(function (row) {
        var p = row.progress;
        var tr = box.querySelector('tr[data-id="' + CSS.escape(p.id) + '"]');
        if (!tr) { return; }
        setBadge(tr.querySelector('[data-f="phase"]'), row.phase);
        setProgress(tr.querySelector('progress'), p.outcomes, p.total);
        set(tr, '[data-f="pct"]', pct(p.outcomes, p.total));
        set(tr, '[data-f="of"]', num(p.outcomes) + ' / ' + num(p.total));
        set(tr, '[data-f="sent"]', num(row.sent) + ' sent');
        set(tr, '[data-f="failed"]', num(row.failed) + ' failed');
        set(tr, '[data-f="rate"]', rate(p.rate) + '/s');
        set(tr, '[data-f="eta"]', eta(p.eta_seconds));
      });
    });
  }

  function campaign(box) {
    var chart = document.getElementById('chart');
    var lastOutcomes = -1;
    poll(box.getAttribute('data-api'), function (v) {
      var p = v.progress;
      setBadge(box.querySelector('h1 [data-f="phase"]'), v.phase);
      setProgress(document.getElementById('progress'), p.outcomes, p.total);
      set(box, '[data-f="pct"]', pct(p.outcomes, p.total));
      set(box, '[data-f="outcomes"]', num(p.outcomes));
      set(box, '[data-f="total"]', num(p.total));
      set(box, '[data-f="pending"]', num(p.pending));
      set(box, '[data-f="rate"]', rate(p.rate));
      set(box, '[data-f="eta"]', eta(p.eta_seconds));
      set(box, '[data-f="resendable"]', num(v.resendable));
      var reason = box.querySelector('[data-f="reason"]');
      if (reason) { reason.textContent = p.state_reason || ''; }
      ['accepted', 'sent', 'delivered', 'read'].forEach(function (k) {
        setProgress(box.querySelector('[data-fp="' + k + '"]'), v.funnel[k], v.funnel.total);
        set(box, '[data-fn="' + k + '"]', num(v.funnel[k]));
        set(box, '[data-fs="' + k + '"]', pct(v.funnel[k], v.funnel.total));
      });
      v.states.forEach(function (s) {
        var tr = box.querySelector('#states tr[data-state="' + CSS.escape(s.state) + '"]');
        if (!tr) { return; }
        set(tr, '[data-f="count"]', num(s.count));
        set(tr, '[data-f="share"]', pct(s.count, p.total));
      });
      var why = document.getElementById('why');
      if (why) {
        var lines = v.why.length ? v.why : [p.pending === 0 ? 'Nothing is pending.' : 'Nothing holds it.'];
        var now = Array.prototype.map.call(why.children, function (li) { return li.textContent; });
        if (now.join('\n') !== lines.join('\n')) {
          why.replaceChildren.apply(why, lines.map(function (l) {
            var li = document.createElement('li');
            li.textContent = l;
            if (!v.why.length) { li.className = 'muted'; }
            return li;
          }));
        }
      }
      var codes = document.getElementById('codes');
      if (codes && v.codes.length) {
        codes.replaceChildren.apply(codes, v.codes.map(function (c) {
          var tr = document.createElement('tr');
          cell(tr, c.code, 'mono');
          cell(tr, c.status);
          cell(tr, num(c.count), 'n');
          var m = cell(tr, c.meaning || '');
          if (!c.meaning && c.example) {
            var q = document.createElement('q');
            q.textContent = c.example;
            m.appendChild(q);
          } else if (!c.meaning) { m.textContent = '—'; }
          cell(tr, c.resend ? 'yes' : 'no');
          return tr;
        }));
      }
      if (chart && p.outcomes !== lastOutcomes) {
        lastOutcomes = p.outcomes;
        var at = Date.now();
        var narrow = document.getElementById('chart-narrow');
        if (narrow) { narrow.srcset = box.getAttribute('data-chart') + '?size=narrow&at=' + at; }
        chart.src = box.getAttribute('data-chart') + '?at=' + at;
      }
    });
  }

  function providers(box) {
    poll(box.getAttribute('data-api'), function (accounts) {
      accounts.forEach(function (a) {
        var sec = box.querySelector('section[data-account="' + CSS.escape(a.name) + '"]');
        if (!sec) { return; }
        set(sec, '[data-f="in_flight"]', num(a.in_flight));
        set(sec, '[data-f="pending"]', num(a.pending));
        if (a.rate > 0) { set(sec, '[data-f="current"]', rate(a.current_rate) + '/s (×' + a.factor.toFixed(2) + ')'); }
        setBadge(sec.querySelector('[data-f="breaker"]'), a.breaker);
      });
    });
  }

  // The new-campaign form: Preview is sent from here and its answer (the
  // server's page, escaped by its templates) replaces the result region,
  // so that the files stay chosen and Import sends the same ones.
  function newCampaign(form) {
    var btn = document.getElementById('btn-preview');
    btn.addEventListener('click', function (e) {
      if (!form.reportValidity()) { return; }
      e.preventDefault();
      btn.disabled = true;
      fetch(btn.getAttribute('formaction'), { method: 'POST', body: new FormData(form), credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.getElementById('new-result');
          var now = document.getElementById('new-result');
          if (!fresh || !now) { form.submit(); return; }
          fresh = document.importNode(fresh, true);
          Array.prototype.forEach.call(fresh.querySelectorAll('.repick'), function (p) { p.hidden = true; });
          Array.prototype.forEach.call(fresh.querySelectorAll('.kept'), function (p) { p.hidden = false; });
          now.replaceWith(fresh);
          fresh.focus();
        })
        .catch(function () { form.submit(); })
        .then(function () { btn.disabled = false; });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var el;
    if ((el = document.getElementById('new-form'))) { newCampaign(el); }
    if ((el = document.getElementById('campaigns-live'))) { campaigns(el); }
    if ((el = document.getElementById('campaign-live'))) { campaign(el); }
    if ((el = document.getElementById('providers-live'))) { providers(el); }
  });
}());
