// Erasing a case: the button stays disabled until the case code is typed (the server checks it too).
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[data-confirm-code]');
  Array.prototype.forEach.call(forms, function (form) {
    var input = form.querySelector('input[name="confirm"]');
    var button = form.querySelector('button[type="submit"]');
    var code = form.getAttribute('data-confirm-code');
    function check() { button.disabled = input.value.replace(/\s/g, '').toUpperCase() !== code; }
    input.addEventListener('input', check);
    check();
  });
})();
