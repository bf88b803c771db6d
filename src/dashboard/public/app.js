// The live page: one card per board (signals, score against threshold, status) and the alert list.
// Data arrives over Server-Sent Events from /events; nothing here needs a build step.

const SIGNAL_SECONDS = 10;
const SCORE_POINTS = 300;
const COLORS = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be123c'];
const boards = new Map();
let alertCount = 0;

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtBytes(n) {
  if (n == null) return '–';
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function createBoard(b) {
  const card = el('div', { class: 'board', id: `board-${b.id}`, 'data-board': b.id });
  const h = el('h3');
  h.append(
    el('span', {}, b.name),
    el('span', { class: 'pill state' }, b.state),
    el('span', { class: 'pill anomaly-flag', hidden: '' }, 'ANOMALY'),
    el('span', { class: 'pill learning', hidden: '' }, ''),
  );
  const meta = el('div', { class: 'meta' });
  const signalDiv = el('div', { class: 'signal' });
  const scoreDiv = el('div', { class: 'score' });
  card.append(h, meta, signalDiv, scoreDiv);
  document.getElementById('boards').append(card);

  const channels = b.channels.slice(0, 3);
  const width = Math.max(420, card.clientWidth - 20);
  const signal = new uPlot(
    {
      width,
      height: 160,
      title: `signals (${channels.map((c) => `${c.name} ${c.unit}`).join(', ')})`,
      scales: { x: { time: true } },
      series: [{}, ...channels.map((c, i) => ({ label: c.name, stroke: COLORS[i], width: 1 }))],
      legend: { show: true },
    },
    [[], ...channels.map(() => [])],
    signalDiv,
  );
  const score = new uPlot(
    {
      width,
      height: 140,
      title: 'anomaly score vs threshold',
      scales: { x: { time: true }, y: { distr: 3 } },
      series: [
        {},
        { label: 'score', stroke: '#d33', width: 1.5 },
        { label: 'threshold', stroke: '#555', dash: [6, 4], width: 1 },
      ],
    },
    [[], [], []],
    scoreDiv,
  );
  const state = {
    card,
    meta,
    channelIdx: channels.map((c) => b.channels.findIndex((x) => x.name === c.name)),
    signal,
    score,
    sig: [[], ...channels.map(() => [])],
    sc: [[], [], []],
    threshold: b.threshold,
    updates: 0,
  };
  boards.set(b.id, state);
  return state;
}

function updateStatus(s) {
  document.getElementById('gateway').textContent = s.gateway;
  document.getElementById('uptime').textContent = `up ${s.uptimeS} s`;
  const mqtt = document.getElementById('mqtt');
  mqtt.textContent = s.mqtt.connected
    ? `MQTT ${s.mqtt.broker}`
    : `MQTT down: ${s.mqtt.lastError ? s.mqtt.lastError.message : 'connecting'}`;
  mqtt.className = `pill ${s.mqtt.connected ? 'ok' : 'down'}`;
  mqtt.title = `journal: ${s.mqtt.journal.unacked} alerts waiting for the broker`;
  for (const b of s.boards) {
    const st = boards.get(b.id) || createBoard(b);
    st.threshold = b.threshold;
    const pill = st.card.querySelector('.state');
    pill.textContent = b.state;
    pill.className = `pill state ${b.state}`;
    st.card.classList.toggle('anomaly', b.anomaly);
    st.card.querySelector('.anomaly-flag').hidden = !b.anomaly;
    // Learning its normal (no machine alarms yet) or its own model: shown with its progress.
    const learning = st.card.querySelector('.learning');
    const l = b.learning;
    learning.hidden = !l || l.state === 'watching';
    if (l && l.state !== 'watching')
      learning.textContent = `${l.state === 'learning' ? 'learning its normal' : 'learning its model'} ${Math.round(l.progress * 100)} %`;
    const learnt = l && l.version !== null ? ` · learned model v${l.version}` : '';
    const model = b.model
      ? `${b.model.id} (${b.model.kind}, ${b.model.hash.slice(0, 8)})`
      : 'baseline (no model)';
    const fw = b.deployment
      ? ` · model on board: ${fmtBytes(b.deployment.bytes)}, arena ${fmtBytes(b.deployment.arenaBytes)}`
      : '';
    const onBoard = b.boardInference
      ? ` (${b.boardInference.onBoard} on the board${b.boardInference.lastMicros !== null ? `, ${b.boardInference.lastMicros} µs each` : ''}${b.boardInference.fellBack ? `, ${b.boardInference.fellBack} on the gateway: ${b.boardInference.lastError}` : ''}${b.boardInference.lastOn === 'gateway' ? '; now scoring on the gateway' : ''})`
      : '';
    st.meta.textContent = `${b.profile} · ${b.transport} · model ${model}${learnt} · inference on ${b.inference}${onBoard}${fw} · ${b.samples} samples, ${b.windows} windows, ${b.reconnects} reconnects`;
  }
}

function onTrace(t) {
  const st = boards.get(t.board);
  if (!st) return;
  for (const p of t.points) {
    st.sig[0].push(p.ts / 1000);
    st.channelIdx.forEach((ci, i) => {
      st.sig[i + 1].push(p.values[ci]);
    });
  }
  const cutoff = st.sig[0][st.sig[0].length - 1] - SIGNAL_SECONDS;
  let drop = 0;
  while (drop < st.sig[0].length && st.sig[0][drop] < cutoff) drop++;
  if (drop) for (const a of st.sig) a.splice(0, drop);
  st.signal.setData(st.sig);
  st.updates++;
  st.card.dataset.updates = String(st.updates);
}

function onDecision(d) {
  const st = boards.get(d.board);
  if (!st || d.score == null) return;
  st.sc[0].push(d.ts / 1000);
  st.sc[1].push(Math.max(d.score, 1e-6));
  st.sc[2].push(st.threshold);
  if (st.sc[0].length > SCORE_POINTS) for (const a of st.sc) a.shift();
  st.score.setData(st.sc);
}

function onAlert(a) {
  alertCount++;
  document.getElementById('no-alerts').hidden = true;
  document.getElementById('alert-count').textContent = `(${alertCount})`;
  const row = el('tr', { class: a.kind, 'data-board': a.board });
  const cells = [
    new Date(a.ts).toLocaleTimeString(),
    a.board,
    a.kind,
    `${a.score.toFixed(3)} / ${a.threshold.toFixed(3)}`,
    a.message || '',
    a.id,
  ];
  for (const c of cells) row.append(el('td', {}, c));
  document.querySelector('#alerts tbody').prepend(row);
}

const events = new EventSource('/events');
let first = true;
events.addEventListener('status', (e) => {
  const s = JSON.parse(e.data);
  updateStatus(s);
  if (first) {
    first = false;
    for (const a of [...s.alerts.recent].reverse()) onAlert(a);
  }
});
events.addEventListener('trace', (e) => onTrace(JSON.parse(e.data)));
events.addEventListener('decision', (e) => onDecision(JSON.parse(e.data)));
events.addEventListener('alert', (e) => onAlert(JSON.parse(e.data)));
events.addEventListener('state', (e) => {
  const s = JSON.parse(e.data);
  const st = boards.get(s.board);
  if (st) {
    const pill = st.card.querySelector('.state');
    pill.textContent = s.state;
    pill.className = `pill state ${s.state}`;
  }
});
