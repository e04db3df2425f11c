/* global document, window, crypto, TextEncoder, Blob, Worker, performance */
// The page's own script (inlined by build.mjs): takes the two files, runs the embedded checker bundle in a Web Worker,
// shows what it returns. It decides nothing. Every text that comes from a file or the checker is set with textContent.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const bundleText = $('checker-bundle').textContent;
  const files = { model: null, certificate: null };
  let worker = null;
  let workerUrl = null;

  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

  // The bundle's SHA-256, recomputed from the embedded text: it must be the one the build wrote into the page.
  crypto.subtle.digest('SHA-256', new TextEncoder().encode(bundleText)).then(
    (d) => {
      const got = hex(d);
      const ok = got === $('bundle-sha256').textContent;
      $('bundle-check').textContent = ok
        ? 'Recomputed from the embedded bundle when this page opened: it matches.'
        : `Recomputed from the embedded bundle when this page opened: ${got}. IT DOES NOT MATCH: this page was altered.`;
      $('bundle-check').classList.toggle('mismatch', !ok);
    },
    (e) => {
      $('bundle-check').textContent = `Could not recompute it here: ${e && e.message}`;
    },
  );

  function setStatus(kind, text, summary) {
    $('status').dataset.status = kind;
    $('status').textContent = text;
    $('summary').textContent = summary || '';
  }

  function showProgress(done, total) {
    const row = $('progress-row');
    const bar = $('progress');
    row.hidden = false;
    if (total > 0) {
      bar.max = total;
      bar.value = done;
      $('progress-text').textContent = `count: ${done} of ${total} (${Math.floor((100 * done) / total)}%)`;
    } else {
      bar.removeAttribute('value');
      $('progress-text').textContent = 'checking…';
    }
  }

  function finish(state) {
    $('progress-row').hidden = true;
    document.body.dataset.state = state;
    if (worker) worker.terminate();
    worker = null;
  }

  function onMessage(m, started) {
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (m.type === 'progress') {
      showProgress(m.done, m.total);
    } else if (m.type === 'input-error') {
      setStatus('error', 'NOT CHECKED', 'A file could not be read; the command line would exit with status 2.');
      $('verdict').textContent = m.text;
      finish('done');
    } else if (m.type === 'verdict') {
      if (m.status === 'verified') {
        setStatus('verified', 'VERIFIED', `The certificate proves its claim (checked in ${seconds} s; exit status ${m.exitCode} on the command line).`);
      } else if (m.status === 'rejected') {
        setStatus('rejected', 'NOT VERIFIED', `Rejected at step ${m.step}, rule ${m.rule}: ${m.reason}`);
      } else {
        setStatus('undecided', 'NOT DECIDED', `This checker stopped before deciding, at step ${m.step}, rule ${m.rule}: ${m.reason}`);
      }
      $('verdict').textContent = m.text;
      finish('done');
    }
  }

  function runCheck() {
    if (worker) worker.terminate();
    worker = null;
    const workLimit = workLimitInput();
    if (workLimit === null) {
      setStatus('error', 'NOT CHECKED', `The work limit must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}.`);
      $('verdict').textContent = '';
      document.body.dataset.state = 'done';
      return;
    }
    if (!workerUrl) workerUrl = URL.createObjectURL(new Blob([bundleText], { type: 'text/javascript' }));
    document.body.dataset.state = 'running';
    $('verdict').textContent = '';
    setStatus('running', 'Checking…');
    showProgress(0, 0);
    const started = performance.now();
    const w = new Worker(workerUrl);
    worker = w;
    w.onmessage = (ev) => {
      if (w === worker) onMessage(ev.data, started);
    };
    w.onerror = (ev) => {
      if (w !== worker) return;
      ev.preventDefault();
      setStatus('undecided', 'NOT DECIDED', `The checker failed to run in this browser: ${ev.message || 'worker error'}`);
      finish('done');
    };
    w.postMessage({ certificate: files.certificate, model: files.model, workLimit });
  }

  /** The work limit typed in, checked as the command line checks --max-work; undefined: the default; null: invalid. */
  function workLimitInput() {
    const v = $('max-work').value.trim();
    if (v === '') return undefined;
    const n = /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : NaN;
    return n <= Number.MAX_SAFE_INTEGER ? n : null;
  }

  function choose(kind, file) {
    files[kind] = file;
    $(`${kind}-name`).textContent = `${file.name} (${file.size} bytes)`;
    if (files.model && files.certificate) runCheck();
    else setStatus('idle', `Waiting for ${files.model ? 'a certificate' : 'a model'}`);
  }

  /** Which input a file is, by its name. */
  function kindOf(file) {
    const name = file.name.toLowerCase();
    if (name.endsWith('.safetensors')) return 'model';
    if (name.endsWith('.json') || name.endsWith('.gz')) return 'certificate';
    return null;
  }

  for (const kind of ['model', 'certificate']) {
    $(kind).addEventListener('change', (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) choose(kind, file);
    });
  }

  $('max-work').addEventListener('change', () => {
    if (files.model && files.certificate) runCheck();
  });

  const drop = $('drop');
  // A file dropped anywhere else must not make the browser navigate away to it.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const dropped = Array.from((ev.dataTransfer && ev.dataTransfer.files) || []);
    const unknown = dropped.filter((f) => !kindOf(f)).map((f) => f.name);
    const picked = {};
    for (const f of dropped) if (kindOf(f)) picked[kindOf(f)] = f;
    if (unknown.length) setStatus('idle', 'Not recognised', `Not a .safetensors, .json or .json.gz file: ${unknown.join(', ')}`);
    if (picked.model) files.model = picked.model;
    for (const kind of ['model', 'certificate']) if (picked[kind]) $(`${kind}-name`).textContent = `${picked[kind].name} (${picked[kind].size} bytes)`;
    if (picked.certificate) choose('certificate', picked.certificate);
    else if (picked.model) choose('model', picked.model);
  });
})();
