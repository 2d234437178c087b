#!/usr/bin/env node
// Storage operations per clean claim from the counting proxy's tallies (tools/count-proxy.js, tools/cost.sh):
//   node tools/cost-report.js IDLE_BEFORE.json IDLE_AFTER.json BEFORE.json AFTER.json RUN.json
// The idle rate of every (service, resource, method, operation) is measured between the two idle snapshots and
// subtracted, scaled to the measured window, from what the window between BEFORE and AFTER counted; the rest is
// divided by the claims of RUN.json. Prints Markdown.
'use strict';
const fs = require('fs');

function rowKey(r) {
  return [r.service, r.group, r.resource, r.method, r.op].join('\u0001');
}

function diff(a, b) {
  const before = new Map(a.rows.map((r) => [rowKey(r), r]));
  const out = new Map();
  for (const r of b.rows) {
    const p = before.get(rowKey(r));
    const d = { ...r };
    for (const f of ['count', 'errors', 'entities', 'messages', 'empty', 'bytes']) d[f] = (r[f] || 0) - (p ? p[f] || 0 : 0);
    if (d.count !== 0) out.set(rowKey(r), d);
  }
  return { seconds: (b.at - a.at) / 1000, rows: out };
}

/** Net operations per claim by row: window − idle rate × window seconds, ÷ claims. */
function perClaim(idle, window, claims) {
  const keys = new Set([...idle.rows.keys(), ...window.rows.keys()]);
  const rows = [];
  for (const k of keys) {
    const w = window.rows.get(k);
    const i = idle.rows.get(k);
    const base = w || i;
    const idleOps = i ? (i.count / idle.seconds) * window.seconds : 0;
    const idleEmpty = i ? (i.empty / idle.seconds) * window.seconds : 0;
    rows.push({
      ...base,
      gross: w ? w.count : 0,
      idle: idleOps,
      net: ((w ? w.count : 0) - idleOps) / claims,
      netEmpty: ((w ? w.empty : 0) - idleEmpty) / claims,
      messages: (w ? w.messages : 0) / claims,
      entities: (w ? w.entities : 0) / claims,
      errors: w ? w.errors : 0,
    });
  }
  return rows;
}

const STEP_ORDER = ['intake', 'RulesEngine queue', 'durable: control', 'durable: workitems', 'durable: history', 'durable: instances',
  'durable: partitions', 'durable: leases', 'durable: applease', 'durable: largemessages', 'durable: other',
  'activities: claims table', 'activities: raw/document read', 'activities: authorizations', 'activities: rules',
  'activities: audit', 'activities: outbound blob', 'other'];

function fmt(x) {
  return (Math.abs(x) < 0.05 ? 0 : x).toFixed(1);
}

function report(idleBefore, idleAfter, before, after, run) {
  const idle = diff(idleBefore, idleAfter);
  const window = diff(before, after);
  const claims = run.claims;
  const rows = perClaim(idle, window, claims);
  const lines = [];
  const idleTotal = [...idle.rows.values()].reduce((s, r) => s + r.count, 0);
  lines.push(`Idle (${idle.seconds.toFixed(0)} s, app up, no claims): **${(idleTotal / idle.seconds).toFixed(2)} operations/s**`);
  lines.push('');
  lines.push('| idle: resource | operation | per second |');
  lines.push('|---|---|---:|');
  const idleGroups = new Map();
  for (const r of idle.rows.values()) {
    const res = r.group === 'app' ? r.resource : r.group;
    const k = res + '\u0001' + r.op;
    idleGroups.set(k, (idleGroups.get(k) || 0) + r.count);
  }
  for (const [k, n] of [...idleGroups.entries()].sort((a, b) => b[1] - a[1])) {
    const [res, op] = k.split('\u0001');
    lines.push(`| ${res} | ${op} | ${(n / idle.seconds).toFixed(2)} |`);
  }
  lines.push('');
  const windowTotal = [...window.rows.values()].reduce((s, r) => s + r.count, 0);
  const idleInWindow = (idleTotal / idle.seconds) * window.seconds;
  lines.push(`Window: ${claims} clean claims, ${window.seconds.toFixed(1)} s, ${windowTotal} operations counted; idle polling subtracted: ` +
    `${idleInWindow.toFixed(0)} (${(idleTotal / idle.seconds).toFixed(2)}/s × ${window.seconds.toFixed(1)} s); ` +
    `**net ${((windowTotal - idleInWindow) / claims).toFixed(1)} operations per claim** (gross ${(windowTotal / claims).toFixed(1)}).`);
  lines.push('');
  lines.push('| step | operations per claim | of which |');
  lines.push('|---|---:|---|');
  const bySteps = new Map();
  for (const r of rows) {
    if (!bySteps.has(r.step)) bySteps.set(r.step, []);
    bySteps.get(r.step).push(r);
  }
  const steps = [...bySteps.keys()].sort((a, b) => (STEP_ORDER.indexOf(a) + 1 || 99) - (STEP_ORDER.indexOf(b) + 1 || 99));
  let total = 0;
  for (const s of steps) {
    const byOp = new Map();
    for (const r of bySteps.get(s)) {
      const k = r.group === 'app' ? `${r.op} ${r.resource}` : r.op;
      const o = byOp.get(k) || { net: 0, empty: 0, messages: 0, entities: 0, isGet: r.op === 'get messages', isBatch: r.op === 'batch' };
      o.net += r.net; o.empty += r.netEmpty; o.messages += r.messages; o.entities += r.entities;
      byOp.set(k, o);
    }
    const net = bySteps.get(s).reduce((x, r) => x + r.net, 0);
    total += net;
    const parts = [...byOp.entries()].filter(([, o]) => Math.abs(o.net) >= 0.05).sort((a, b) => b[1].net - a[1].net).map(([k, o]) =>
      `${k} ${fmt(o.net)}` + (o.isGet ? ` (${fmt(o.empty)} empty, ${o.messages.toFixed(1)} messages)` : '') +
      (o.isBatch ? ` (${o.entities.toFixed(1)} entities)` : ''));
    lines.push(`| ${s} | ${fmt(net)} | ${parts.join('; ')} |`);
  }
  lines.push(`| **total** | **${fmt(total)}** | |`);
  lines.push('');
  lines.push('<details><summary>Every operation in the window (per claim before the idle subtraction; mean request size)</summary>', '');
  lines.push('| resource | operation | per claim | request bytes |');
  lines.push('|---|---|---:|---:|');
  const detail = new Map();
  for (const w of window.rows.values()) {
    const res = w.group === 'app' ? w.resource : w.group;
    const k = res + '\u0001' + w.op;
    const o = detail.get(k) || { count: 0, bytes: 0 };
    o.count += w.count; o.bytes += w.bytes || 0;
    detail.set(k, o);
  }
  for (const [k, o] of [...detail.entries()].sort()) {
    const [res, op] = k.split('\u0001');
    lines.push(`| ${res} | ${op} | ${(o.count / claims).toFixed(2)} | ${o.bytes ? Math.round(o.bytes / o.count) : ''} |`);
  }
  lines.push('', '</details>');
  const errors = rows.reduce((x, r) => x + r.errors, 0);
  if (errors) lines.push('', `Answers ≥ 400 in the window (expected ones included, e.g. 404 on a first read, 409 on create): ${errors}.`);
  return lines.join('\n');
}

module.exports = { diff, perClaim, report };
if (require.main === module) {
  const [a, b, c, d, e] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  console.log(report(a, b, c, d, e));
}
