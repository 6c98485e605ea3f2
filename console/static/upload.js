// Drag-and-drop upload with a progress bar and a result per file. Without this script the form still
// works: it posts every chosen file at once and the server answers with a results page.
(function () {
  'use strict';
  var form = document.getElementById('upload-form');
  var list = document.getElementById('upload-list');
  if (!form || !list || !window.FormData || !window.XMLHttpRequest) return;
  var zone = document.getElementById('dropzone');
  var input = document.getElementById('files');
  var urls = document.getElementById('upload-urls');
  var T = list.dataset;
  var csrf = form.getAttribute('data-csrf');
  var maxBytes = Number(form.getAttribute('data-max-bytes')) || Infinity;
  var action = form.getAttribute('action').split('?')[0];
  var ul = document.createElement('ul');
  list.appendChild(ul);
  var queue = [];
  var busy = false;
  var finished = 0;

  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; });
  }

  zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files) add(e.dataTransfer.files);
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    add(input.files);
    input.value = '';
  });

  function add(files) {
    for (var i = 0; i < files.length; i++) queue.push(row(files[i]));
    pump();
  }

  function row(file) {
    var li = document.createElement('li');
    li.className = 'upload-item';
    var name = document.createElement('span');
    name.className = 'file-name';
    name.textContent = file.name;
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', T.tProgress + ' ' + file.name);
    var status = document.createElement('span');
    status.className = 'file-status';
    status.textContent = T.tWaiting;
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    ul.appendChild(li);
    return { file: file, li: li, bar: bar, status: status };
  }

  function pump() {
    if (busy) return;
    var next = queue.shift();
    if (!next) {
      if (finished > 0 && !document.getElementById('upload-reload')) {
        var a = document.createElement('a');
        a.id = 'upload-reload';
        a.href = window.location.pathname + '#material';
        a.textContent = T.tReload;
        a.addEventListener('click', function (e) { e.preventDefault(); window.location.assign(window.location.pathname); });
        list.appendChild(a);
      }
      return;
    }
    busy = true;
    send(next, function () { busy = false; finished++; pump(); });
  }

  function settle(item, ok, text) {
    item.li.classList.add(ok ? 'ok' : 'failed');
    item.status.textContent = text;
  }

  function send(item, done) {
    if (item.file.size > maxBytes) { settle(item, false, T.tFailed + ' ' + T.tTooBig); done(); return; }
    var fd = new FormData();
    if (urls && urls.value.trim()) fd.append('urls', urls.value);
    fd.append('file', item.file, item.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', action);
    xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.setRequestHeader('accept', 'application/json');
    item.status.textContent = T.tSending;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) item.bar.value = Math.round((e.loaded / e.total) * 100);
    };
    xhr.upload.onload = function () { item.bar.value = 100; item.status.textContent = T.tFingerprinting; };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status === 401) { settle(item, false, T.tSignedOut); done(); return; }
      var r = body && body.results && body.results[0];
      if (r && r.ok) {
        item.bar.value = 100;
        settle(item, true, r.duplicate ? T.tDuplicate : fill(T.tDone, { kind: r.kind === 'video' ? T.tVideo : T.tImage, hashes: r.hashes }));
        // A file weak for matching: staff are told why, so they can register a sharper original.
        if (r.strength && r.strength.level === 'weak') {
          var weak = document.createElement('span');
          weak.className = 'strength-weak';
          weak.textContent = r.strength.reason === 'smooth' ? T.tWeakSmooth : T.tWeakDetail;
          item.li.appendChild(weak);
        }
      } else {
        var msg = (r && r.message) || (body && body.error && body.error.message) || '';
        settle(item, false, T.tFailed + ' ' + msg);
      }
      done();
    };
    xhr.onerror = function () { settle(item, false, T.tFailed); done(); };
    xhr.send(fd);
  }
})();
