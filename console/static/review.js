// The review queue's keyboard shortcuts and in-page reveal. Everything here is an enhancement: links
// and forms do the same without script. A reveal is always a POST to the server (audited and counted);
// past the day's limit the server says so and the page goes to the break page.
(function () {
  'use strict';
  var HOLD_MS = 350;
  var exposure = document.getElementById('exposure');
  var rejectMode = 'no';

  function typing(el) {
    return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  }

  function showExposure(e) {
    if (!exposure || !e) return;
    exposure.textContent = exposure.getAttribute('data-template').replace('{n}', e.reveals).replace('{limit}', e.limit);
    exposure.classList.toggle('over', e.reveals >= e.limit);
  }

  function pictureParts() {
    return Array.prototype.slice.call(document.querySelectorAll('form.reveal-form'));
  }

  function hide(form) {
    form.setAttribute('data-wanted', 'no');
    var img = document.getElementById('img-' + form.querySelector('input[name="part"]').value);
    if (!img || !img.classList.contains('revealed')) return;
    img.src = img.getAttribute('data-veiled');
    img.className = 'veiled';
    img.alt = img.getAttribute('data-alt-veiled') || img.alt;
    label(form, false);
  }

  // The button says what pressing it will do next.
  function label(form, shown) {
    var button = form.querySelector('button');
    var span = button.querySelector('.label');
    if (!button.hasAttribute('data-reveal-label')) button.setAttribute('data-reveal-label', span.textContent);
    span.textContent = button.getAttribute(shown ? 'data-hide-label' : 'data-reveal-label');
  }

  function reveal(form) {
    var img = document.getElementById('img-' + form.querySelector('input[name="part"]').value);
    if (!img) return Promise.resolve();
    form.setAttribute('data-wanted', 'yes');
    var body = new URLSearchParams(new FormData(form));
    return fetch(form.action, { method: 'POST', body: body, headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) { return res.json(); })
      .then(function (out) {
        if (out.kind === 'break-due') { window.location.href = out.breakUrl; return; }
        showExposure(out.exposure);
        // Released (or hidden again) before the server answered: the reveal counted, nothing is shown.
        if (out.kind !== 'revealed' || !out.src || form.getAttribute('data-wanted') !== 'yes') return;
        img.setAttribute('data-alt-veiled', img.alt);
        img.alt = img.getAttribute('data-alt-revealed') || img.alt;
        img.src = out.src;
        img.className = 'revealed';
        label(form, true);
      });
  }

  function revealed(form) {
    var img = document.getElementById('img-' + form.querySelector('input[name="part"]').value);
    return form.getAttribute('data-wanted') === 'yes' || Boolean(img && img.classList.contains('revealed'));
  }

  // A short press (or click, or Enter) toggles; holding the button shows the picture only while held.
  pictureParts().forEach(function (form) {
    var button = form.querySelector('button');
    var downAt = 0;
    var wasShown = false;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (downAt) return; // the pointer handlers decide
      if (revealed(form)) hide(form); else reveal(form);
    });
    button.addEventListener('pointerdown', function () {
      downAt = Date.now();
      wasShown = revealed(form);
      if (!wasShown) reveal(form);
    });
    button.addEventListener('pointerup', function () {
      var held = Date.now() - downAt >= HOLD_MS;
      if (wasShown || held) hide(form);
      // Let the click that follows pointerup pass without toggling again.
      setTimeout(function () { downAt = 0; }, 0);
    });
    button.addEventListener('pointerleave', function () {
      if (downAt && Date.now() - downAt >= HOLD_MS) hide(form);
    });
  });

  var vDownAt = 0;
  function firstPart() { return pictureParts()[0] || null; }

  function go(id) {
    var a = document.getElementById(id);
    if (a) window.location.href = a.href;
  }

  function startReject(mode) {
    var preset = document.getElementById('preset');
    if (!preset) return;
    rejectMode = mode;
    var form = document.getElementById('reject-form');
    form.classList.add('active');
    form.setAttribute('data-mode', mode);
    preset.focus();
  }

  var rejectForm = document.getElementById('reject-form');
  if (rejectForm) {
    var submitMode = function () {
      document.getElementById(rejectMode === 'yes' ? 'reject-allowlist' : 'reject').click();
    };
    rejectForm.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && (ev.target.id === 'preset' || (ev.target.id === 'reason' && (ev.ctrlKey || ev.metaKey)))) {
        ev.preventDefault();
        submitMode();
      } else if (ev.key === 'Escape') {
        ev.target.blur();
      }
    });
    rejectForm.addEventListener('submit', function (ev) {
      var hasReason = document.getElementById('preset').value || document.getElementById('reason').value.trim();
      var msg = document.getElementById('reject-error');
      if (!hasReason) {
        ev.preventDefault();
        if (!msg) {
          msg = document.createElement('p');
          msg.id = 'reject-error';
          msg.className = 'reject-error';
          msg.setAttribute('role', 'alert');
          msg.textContent = rejectForm.getAttribute('data-need-reason');
          document.getElementById('reason-hint').after(msg);
        }
        document.getElementById('preset').focus();
      }
    });
  }

  document.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    switch (ev.key) {
      case 'j': go('next'); break;
      case 'k': go('prev'); break;
      case 'c': { var c = document.getElementById('confirm'); if (c) c.click(); break; }
      case 'r': ev.preventDefault(); startReject('no'); break;
      case 'a': ev.preventDefault(); startReject('yes'); break;
      case 'v': {
        var form = firstPart();
        if (!form || ev.repeat) break;
        vDownAt = Date.now();
        if (revealed(form)) { hide(form); vDownAt = 0; } else reveal(form);
        break;
      }
      case '?': {
        var help = document.getElementById('shortcuts');
        if (!help) break;
        help.classList.toggle('open');
        help.focus();
        break;
      }
      default: return;
    }
  });
  // Holding v shows the picture while held; a short press leaves it shown until v is pressed again.
  document.addEventListener('keyup', function (ev) {
    if (ev.key !== 'v' || !vDownAt) return;
    var form = firstPart();
    if (form && Date.now() - vDownAt >= HOLD_MS) hide(form);
    vDownAt = 0;
  });
})();
