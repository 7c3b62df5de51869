// SPDX-License-Identifier: GPL-2.0-or-later
// The console page: plain DOM, no framework. Every value from the server is
// put in with textContent, never parsed as HTML.
'use strict';

let me = null;		// {user, role, csrf, may_flag, may_disconnect}
let stream = null;
let refreshTimer = null;

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function when(t) {
  if (!t) return '-';
  return new Date(t * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

function statusCell(s) {
  return el('td', s || '-', s ? 'status-' + s : '');
}

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  if (method !== 'GET' && me) opt.headers['X-CSRF-Token'] = me.csrf;
  const r = await fetch(path, opt);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (r.status === 401 && path !== '/api/login') showLogin();
  return { status: r.status, body: j };
}

function show(view) {
  for (const v of ['login-view', 'fleet-view', 'device-view']) $(v).hidden = v !== view;
  $('nav').hidden = view === 'login-view';
}

function showLogin() {
  me = null;
  if (stream) { stream.close(); stream = null; }
  if (refreshTimer) { clearInterval(refreshTimer); refreshTimer = null; }
  show('login-view');
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function loadDevices() {
  const r = await api('GET', '/api/devices');
  if (r.status !== 200) return;
  const rows = r.body.devices.map((d) => {
    const tr = el('tr');
    tr.dataset.device = d.device;
    const a = el('a', d.device);
    a.href = '#/device/' + encodeURIComponent(d.device);
    const name = el('td');
    name.append(a);
    tr.append(name, statusCell(d.posture && d.posture.status),
      statusCell(d.verdict && d.verdict.status),
      el('td', d.certificate ? when(d.certificate.not_after) : '-'),
      el('td', d.renew_now ? 'now (ARI renew now)' : when(d.next_renewal)),
      el('td', d.sessions, 'sessions'),
      el('td', d.posture ? d.posture.reason : ''));
    return tr;
  });
  fill(document.querySelector('#devices tbody'), rows);
}

async function loadSessions() {
  const r = await api('GET', '/api/sessions');
  if (r.status !== 200) return;
  const box = $('sessions');
  if (!r.body.nas.length) {
    box.replaceChildren(el('p', 'No live sessions.', 'none'));
    return;
  }
  box.replaceChildren(...r.body.nas.map((n) => {
    const div = el('div', null, 'nas');
    div.dataset.nas = n.nas_id;
    div.append(el('h3', n.nas_id + ' (' + (n.nas_ip || '-') + ')'));
    const t = el('table');
    const head = el('tr');
    for (const h of ['Device', 'Acct-Session-Id', 'Station', 'User-Name', 'Since'])
      head.append(el('th', h));
    t.append(head);
    for (const s of n.sessions) {
      const tr = el('tr', null, 'session');
      tr.dataset.device = s.device;
      tr.append(el('td', s.device), el('td', s.acct_session_id), el('td', s.calling_station_id),
        el('td', s.user_name), el('td', when(s.started)));
      t.append(tr);
    }
    div.append(t);
    return div;
  }));
}

function eventText(e) {
  return when(e.ts) + '  ' + e.type + '  ' + (e.device || '-') + '  ' + (e.status || '-') +
    '  ' + (e.source || '-') + '  ' + (e.reason || '');
}

function currentDevice() {
  const m = location.hash.match(/^#\/device\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function loadDevice(id) {
  const r = await api('GET', '/api/devices/' + encodeURIComponent(id));
  $('dv-name').textContent = id;
  const facts = document.querySelector('#dv-facts tbody');
  if (r.status !== 200) {
    fill(facts, [el('tr', (r.body && r.body.detail) || 'unavailable')]);
    return;
  }
  const d = r.body;
  const fact = (k, v, cls) => { const tr = el('tr'); tr.append(el('th', k), el('td', v, cls)); return tr; };
  fill(facts, [
    fact('Posture', d.posture ? d.posture.status : 'none recorded',
      d.posture ? 'status-' + d.posture.status : ''),
    fact('Posture reason', d.posture ? d.posture.reason : '-'),
    fact('Attested', d.posture ? when(d.posture.ear_iat) : '-'),
    fact('SOC verdict', d.verdict ? d.verdict.status + ': ' + d.verdict.reason : 'none',
      d.verdict ? 'status-' + d.verdict.status : ''),
    fact('Certificate expires', d.certificate ? when(d.certificate.not_after) : '-'),
    fact('Next renewal', d.renew_now ? 'now (ARI renew now)' : when(d.next_renewal)),
    fact('Identity key', d.identity ? d.identity.jkt : 'not enrolled'),
  ]);
  fill(document.querySelector('#dv-sessions tbody'), d.live_sessions.map((s) => {
    const tr = el('tr', null, 'session');
    tr.append(el('td', s.nas_id), el('td', s.nas_ip), el('td', s.acct_session_id),
      el('td', s.calling_station_id), el('td', when(s.started)));
    const td = el('td');
    if (me && me.may_disconnect) {
      const b = el('button', 'Disconnect', 'disconnect');
      b.type = 'button';
      b.addEventListener('click', () => disconnect(id));
      td.append(b);
    }
    tr.append(td);
    return tr;
  }));
  fill(document.querySelector('#dv-certs tbody'), d.certificates.map((c) => {
    const tr = el('tr');
    tr.append(el('td', c.serial), el('td', c.status), el('td', when(c.not_after)),
      el('td', c.renew_now ? 'yes' : 'no'));
    return tr;
  }));
  fill(document.querySelector('#dv-history tbody'), d.history.map((e) => {
    const tr = el('tr');
    tr.append(el('td', when(e.ts)), el('td', e.type), statusCell(e.status), el('td', e.source),
      el('td', e.reason));
    return tr;
  }));
  $('verdict-form').hidden = !(me && me.may_flag);
}

async function setVerdict(ev) {
  ev.preventDefault();
  const id = currentDevice();
  const r = await api('POST', '/api/devices/' + encodeURIComponent(id) + '/verdict',
    { status: $('verdict-status').value, reason: $('verdict-reason').value });
  $('action-result').textContent = r.status === 200 ? 'Verdict set: ' + $('verdict-status').value
    : 'Refused (' + r.status + '): ' + ((r.body && r.body.detail) || '');
  refresh();
}

async function disconnect(id) {
  const r = await api('POST', '/api/devices/' + encodeURIComponent(id) + '/disconnect',
    { reason: 'disconnected from the console' });
  $('action-result').textContent = r.status === 202 ? 'Disconnect requested'
    : 'Refused (' + r.status + '): ' + ((r.body && r.body.detail) || '');
}

function refresh() {
  const id = currentDevice();
  if (!me) return;
  if (id) {
    show('device-view');
    loadDevice(id);
  } else {
    show('fleet-view');
    loadDevices();
    loadSessions();
  }
}

function startStream() {
  if (stream) stream.close();
  stream = new EventSource('/api/events');
  // Each answer of the stream ends after a while and the browser reconnects
  // at once: "reconnecting" only when it has not reopened within 3 s.
  let lost = null;
  stream.onopen = () => {
    if (lost) { clearTimeout(lost); lost = null; }
    $('stream-state').textContent = 'live';
  };
  const mine = stream;
  stream.onerror = () => {
    if (!lost) lost = setTimeout(() => { $('stream-state').textContent = 'reconnecting'; }, 3000);
    // A refused answer (429: every stream of the console is open) closes the
    // EventSource for good: open a new one a little later.
    if (mine.readyState === EventSource.CLOSED) {
      setTimeout(() => { if (me && stream === mine) startStream(); }, 5000);
    }
  };
  stream.addEventListener('fleet', (m) => {
    const e = JSON.parse(m.data);
    const li = el('li', eventText(e), 'event');
    li.dataset.type = e.type;
    const list = $('events');
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
    refresh();
  });
}

function loggedIn(who) {
  me = who;
  $('who').textContent = me.user + ' (' + me.role + ')';
  startStream();
  if (!refreshTimer) refreshTimer = setInterval(refresh, 3000);
  refresh();
}

async function login(ev) {
  ev.preventDefault();
  $('login-error').textContent = '';
  const r = await api('POST', '/api/login',
    { user: $('login-user').value, password: $('login-pass').value });
  $('login-pass').value = '';
  if (r.status === 200) loggedIn(r.body);
  else $('login-error').textContent = 'Login denied' +
    (r.body && r.body.detail ? ': ' + r.body.detail : '');
}

async function logout() {
  await api('POST', '/api/logout');
  showLogin();
}

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout-btn').addEventListener('click', logout);
  $('verdict-form').addEventListener('submit', setVerdict);
  window.addEventListener('hashchange', refresh);
  const r = await api('GET', '/api/me');
  if (r.status === 200) loggedIn(r.body); else showLogin();
});
