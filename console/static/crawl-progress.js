// A crawl run's live progress on the site page: asks the console for the run's counters every 1.5 s
// while it is queued or running, and writes them into the page. Without this script the page shows the
// counters as they were when it loaded, with a link to load them again.
(function () {
  'use strict';
  var box = document.getElementById('run-progress');
  if (!box || box.getAttribute('data-finished') === 'yes') return;
  var url = box.getAttribute('data-url');
  var fields = box.querySelectorAll('[data-field]');
  var failures = 0;
  function show(run) {
    Array.prototype.forEach.call(fields, function (el) {
      var name = el.getAttribute('data-field');
      var value = run[name];
      if (name === 'error') {
        el.hidden = !value;
        el.textContent = value || '';
      } else if (String(el.textContent) !== String(value)) {
        el.textContent = String(value);
      }
    });
    box.setAttribute('data-status', run.status);
    if (run.finished) box.setAttribute('data-finished', 'yes');
  }
  function poll() {
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
      .then(function (run) {
        failures = 0;
        show(run);
        if (!run.finished) setTimeout(poll, 1500);
      })
      .catch(function () {
        // Signed out or the service restarting: a few more tries, then the refresh link is what is left.
        failures += 1;
        if (failures < 5) setTimeout(poll, 3000);
      });
  }
  setTimeout(poll, 1000);
})();
