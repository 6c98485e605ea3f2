// Copy buttons for a web-form notice's text: shown only where the browser can copy; the text boxes are
// read-only and can be selected by hand without this script.
(function () {
  'use strict';
  if (!navigator.clipboard) return;
  Array.prototype.forEach.call(document.querySelectorAll('button.copy[data-copy]'), function (b) {
    var box = document.getElementById(b.getAttribute('data-copy'));
    if (!box) return;
    b.hidden = false;
    var label = b.textContent;
    b.addEventListener('click', function () {
      navigator.clipboard.writeText(box.value).then(function () {
        b.textContent = b.getAttribute('data-done');
        setTimeout(function () { b.textContent = label; }, 2000);
      });
    });
  });
})();
