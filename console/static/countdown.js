// Deadline timers: the server wrote each timer's text; this keeps it current while the page stays open.
// The texts come from the page (#timer-texts), so the language is the page's. No timer, no work.
(function () {
  'use strict';
  var texts = document.getElementById('timer-texts');
  var timers = document.querySelectorAll('[data-deadline]');
  if (!texts || timers.length === 0) return;
  function fill(tpl, vars) { return tpl.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; }); }
  function duration(ms) {
    var minutes = Math.max(1, Math.floor(ms / 60000));
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d > 0) return fill(texts.getAttribute('data-dh'), { d: d, h: h });
    if (h > 0) return fill(texts.getAttribute('data-hm'), { h: h, m: m });
    return fill(texts.getAttribute('data-m'), { m: m });
  }
  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(timers, function (el) {
      var ms = new Date(el.getAttribute('data-deadline')).getTime() - now;
      var over = ms < 0;
      el.textContent = fill(texts.getAttribute(over ? 'data-overdue' : 'data-left'), { time: duration(Math.abs(ms)) });
      el.classList.toggle('timer-overdue', over);
      el.classList.toggle('timer-left', !over);
      var row = el.closest('tr');
      if (row) { row.classList.toggle('timer-overdue', over); row.classList.toggle('timer-left', !over); }
    });
  }
  setInterval(tick, 30000);
})();
