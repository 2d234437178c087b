// Worklist and claim detail (docs/CONSOLE.md "Worklist", "Claim detail").
import { api, ApiError } from './api.js';
import { el, clear, time, ago, withLoading, message, announce, field, table } from './dom.js';

const statuses = ['Held', 'Failed', 'Rejected'];

function heading(text) {
  return el('h1', { tabindex: '-1' }, text);
}

function focusHeading(container) {
  const h1 = container.querySelector('h1');
  if (h1 && !container.contains(document.activeElement)) h1.focus();
}

const LAST_WORKLIST = 'claims.console.lastWorklist';

// The worklist's place, kept when a claim is opened from it (session storage, this tab only): the query, the
// continuation tokens of the pages loaded with "Load more", the scroll position and the claim opened. Coming back to
// the same query reloads those pages (fresh rows, same place) and puts the focus back on that claim's link.
const WORKLIST_PLACE = 'claims.console.worklistPlace';

function takePlace(queryText) {
  let place = null;
  try { place = JSON.parse(sessionStorage.getItem(WORKLIST_PLACE) || 'null'); } catch { place = null; }
  sessionStorage.removeItem(WORKLIST_PLACE);
  return place && place.query === queryText && Array.isArray(place.tokens) ? place : null;
}

function backToWorklist() {
  return el('p', { class: 'row' }, el('a', { href: sessionStorage.getItem(LAST_WORKLIST) || '#/worklist' }, '← Back to the worklist'));
}

export async function worklistScreen(main, params) {
  // The claim page's back link returns to this list with its filters.
  sessionStorage.setItem(LAST_WORKLIST, location.hash || '#/worklist');
  const status = statuses.includes(params.get('status')) ? params.get('status') : 'Held';
  const sort = params.get('sort') === 'escalationDue' ? 'escalationDue' : 'since';
  const filters = {
    rule: params.get('rule') || '', payer: params.get('payer') || '', tag: params.get('tag') || '', minAgeHours: params.get('minAgeHours') || '',
  };

  const statusSelect = el('select', { id: 'wl-status', name: 'status' }, statuses.map((s) => el('option', { value: s, selected: s === status }, s)));
  const sortSelect = el('select', { id: 'wl-sort', name: 'sort' },
    el('option', { value: 'since', selected: sort === 'since' }, 'Oldest first'),
    el('option', { value: 'escalationDue', selected: sort === 'escalationDue' }, 'Escalation due'));
  const ruleInput = el('input', { id: 'wl-rule', name: 'rule', value: filters.rule, autocomplete: 'off' });
  const payerInput = el('input', { id: 'wl-payer', name: 'payer', value: filters.payer, autocomplete: 'off' });
  const tagInput = el('input', { id: 'wl-tag', name: 'tag', value: filters.tag, autocomplete: 'off' });
  const ageInput = el('input', { id: 'wl-age', name: 'minAgeHours', type: 'number', min: '0', inputmode: 'numeric', value: filters.minAgeHours });
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Worklist filters' },
    field('Status', statusSelect), field('Sort', sortSelect), field('Held by rule', ruleInput), field('Payer id', payerInput),
    field('Tag', tagInput), field('Older than (hours)', ageInput),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, 'Apply'),
      el('button', { type: 'button', onclick: () => { location.hash = '#/worklist'; } }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    next.set('status', statusSelect.value);
    if (sortSelect.value !== 'since') next.set('sort', sortSelect.value);
    for (const [name, input] of [['rule', ruleInput], ['payer', payerInput], ['tag', tagInput], ['minAgeHours', ageInput]]) {
      if (input.value.trim()) next.set(name, input.value.trim());
    }
    location.hash = `#/worklist?${next}`;
  });

  const counts = el('div', { 'aria-label': 'Claims per rule' });
  const results = el('div');
  const more = el('div', { class: 'row' });
  clear(main, heading(`Worklist — ${status}`), form, counts, results, more, olderClaims(main, params));
  focusHeading(main);

  const query = new URLSearchParams({ status, pageSize: '25' });
  if (sort !== 'since') query.set('sort', sort);
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);

  const rows = [];
  const seen = new Set();
  const tokens = [];
  const body = el('tbody');
  let loaded = false;
  const queryText = query.toString();

  // Opening a claim from this list keeps the list's place for the way back.
  body.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-claim]');
    if (!link) return;
    sessionStorage.setItem(WORKLIST_PLACE, JSON.stringify({ query: queryText, tokens, scrollY: window.scrollY, claimId: link.dataset.claim }));
  });

  async function load(token, { restoring = false } = {}) {
    const q = new URLSearchParams(query);
    if (token) q.set('continuationToken', token);
    const page = (await withLoading(results, api(`/claims?${q}`))).body;
    if (token) tokens.push(token);
    if (page.countsByRule) renderCounts(page.countsByRule);
    const start = rows.length;
    // A claim that moved between two pages' reads (a place restored from earlier tokens) is shown once.
    page.items = page.items.filter((item) => !seen.has(item.claimId));
    for (const item of page.items) { rows.push(item); seen.add(item.claimId); }
    if (!loaded) {
      loaded = true;
      if (rows.length === 0) {
        const anyFilter = Object.values(filters).some(Boolean);
        clear(results, el('div', { class: 'empty' },
          el('p', {}, anyFilter ? `No ${status.toLowerCase()} claims match these filters.` : `No ${status.toLowerCase()} claims. Nothing needs you right now.`),
          el('p', {}, anyFilter ? 'Clear the filters to see every claim in this list.' : 'Claims the rules hold appear here as they arrive; check Alerts for escalations.')));
        return page;
      }
      clear(results, el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': `${status} claims` },
        el('thead', {}, el('tr', {}, ['Claim', 'Since', 'Waiting', 'Rule', 'Reason', 'Payer', 'Tags', 'Escalation due'].map((h) => el('th', { scope: 'col' }, h)))),
        body)));
    }
    for (const item of page.items) body.append(row(item));
    if (start > 0 && !restoring) {
      // Paging keeps its place: the first new row's link takes the focus.
      body.rows[start]?.querySelector('a')?.focus();
      announce(`${page.items.length} more claims loaded.`);
    }
    clear(more, page.continuationToken
      ? el('button', { type: 'button', onclick: () => load(page.continuationToken) }, 'Load more')
      : rows.length > 0 ? el('p', { class: 'muted' }, `${rows.length} shown — end of list.`) : null);
    return page;
  }

  function renderCounts(byRule) {
    const entries = Object.entries(byRule);
    if (entries.length === 0) { clear(counts); return; }
    clear(counts, el('h2', { class: 'visually-hidden' }, 'Claims per rule'),
      el('ul', { class: 'chips' }, entries.map(([rule, count]) => el('li', {},
        el('button', {
          type: 'button', class: 'chip', 'aria-pressed': String(filters.rule === rule),
          onclick: () => {
            const next = new URLSearchParams(params); next.set('status', status);
            if (filters.rule === rule) next.delete('rule'); else next.set('rule', rule);
            location.hash = `#/worklist?${next}`;
          },
        }, `${rule || '(no rule)'}: ${count}`)))));
  }

  function row(item) {
    const hold = item.hold || {};
    const reason = hold.reason || item.failureReason || (item.acknowledgment && item.acknowledgment.reason) || '';
    const cells = [
      el('a', { href: `#/claims/${item.claimId}`, 'data-claim': item.claimId }, item.sourceResourceId ? `${item.sourceResourceId}` : item.claimId.slice(0, 8), el('span', { class: 'visually-hidden' }, ` (claim ${item.claimId})`)),
      time(item.since || hold.heldAt || item.updatedAt),
      ago(item.since || hold.heldAt || item.updatedAt),
      hold.ruleId || '—',
      reason || '—',
      item.payer || '—',
      (item.tags || []).map((t) => el('span', { class: 'tag' }, t)),
      hold.escalated ? el('strong', {}, 'Escalated') : time(hold.escalationDueAt),
    ];
    const labels = ['Claim', 'Since', 'Waiting', 'Rule', 'Reason', 'Payer', 'Tags', 'Escalation due'];
    return el('tr', {}, cells.map((c, i) => el('td', { 'data-label': labels[i] }, c)));
  }

  const place = takePlace(queryText);
  try {
    const first = await load(null);
    if (place) {
      // Back from a claim: the pages loaded before, in order, then the same scroll and the claim's link focused.
      let next = first.continuationToken;
      for (const token of place.tokens) {
        if (!next) break;
        next = (await load(token, { restoring: true })).continuationToken;
      }
      const link = body.querySelector(`a[data-claim="${CSS.escape(place.claimId || '')}"]`);
      if (link) link.focus({ preventScroll: true });
      window.scrollTo(0, Number(place.scrollY) || 0);
      if (place.tokens.length) announce(`${rows.length} claims shown, as you left the list.`);
    }
  } catch (error) {
    clear(results, message('error', error instanceof ApiError ? error.sentence : String(error)));
  }
}

// Claims saved before the worklist index are added by the sweep after an upgrade; an admin can add them now.
function olderClaims(main, params) {
  const out = el('div', { 'aria-live': 'polite' });
  const button = el('button', { type: 'button', id: 'reindex-worklist' }, 'Index older claims now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { body } = await withLoading(out, api('/admin/worklist/reindex', { method: 'POST' }));
      if (body.indexed > 0) {
        await worklistScreen(main, params);
        announce(`${body.indexed} older claim${body.indexed === 1 ? '' : 's'} added to the worklist.`);
        return;
      }
      clear(out, message('ok', 'Every older claim is already in the worklist.'));
    } catch (error) {
      clear(out, message('error', error instanceof ApiError ? error.sentence : String(error)));
    } finally {
      button.disabled = false;
    }
  });
  return el('details', { class: 'card' },
    el('summary', {}, 'A claim held before an upgrade is missing?'),
    el('p', { class: 'muted' }, 'After an upgrade the app adds claims held, failed or rejected before the worklist index to it by itself, within one sweep (5 minutes). To add them now:'),
    button, out);
}

// ---- Claim detail -------------------------------------------------------------------------------------------------

export async function claimScreen(main, id) {
  clear(main, backToWorklist());
  const claim = (await withLoading(main, api(`/claims/${id}`))).body;
  renderClaim(main, claim);
}

function renderClaim(main, claim, notice) {
  const hold = claim.hold;
  const result = claim.ruleResult || {};
  const page = [
    backToWorklist(),
    heading(`Claim ${claim.sourceResourceId || claim.claimId}`),
    notice || null,
    el('div', { class: 'card' },
      el('dl', { class: 'facts' },
        el('dt', {}, 'Status'), el('dd', {}, el('span', { class: `status status-${claim.status}`, id: 'claim-status' }, claim.status)),
        el('dt', {}, 'Claim id'), el('dd', {}, claim.claimId),
        el('dt', {}, 'Received'), el('dd', {}, time(claim.receivedAt)),
        el('dt', {}, 'Updated'), el('dd', {}, time(claim.updatedAt)),
        el('dt', {}, 'Rule set'), el('dd', {}, claim.ruleSetVersion ? `version ${claim.ruleSetVersion}` : '—'),
        el('dt', {}, 'Tags'), el('dd', {}, (claim.tags || []).length ? claim.tags.map((t) => el('span', { class: 'tag' }, t)) : '—'),
        claim.failureReason ? [el('dt', {}, 'Failure'), el('dd', {}, claim.failureReason)] : null,
        claim.acknowledgment ? [el('dt', {}, 'Payer acknowledgment'), el('dd', {}, `${claim.acknowledgment.status} (${claim.acknowledgment.kind}) ${claim.acknowledgment.reason || ''} ${(claim.acknowledgment.codes || []).join(', ')}`)] : null)),
  ];

  if (hold) {
    page.push(el('section', { class: 'card', 'aria-labelledby': 'why-held' },
      el('h2', { id: 'why-held' }, 'Why it is held'),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Rule'), el('dd', { id: 'held-rule' }, hold.ruleId),
        el('dt', {}, 'Reason'), el('dd', { id: 'held-reason' }, hold.reason || '(no reason given)'),
        el('dt', {}, 'Held since'), el('dd', {}, time(hold.heldAt)),
        el('dt', {}, 'Escalation'), el('dd', {}, hold.escalated ? 'Escalated' : ['due ', time(hold.escalationDueAt)]))));
  }

  if (['Held', 'Rejected'].includes(claim.status) || ['Received', 'Evaluating', 'Failed'].includes(claim.status)) {
    page.push(actionsPanel(main, claim));
  }

  page.push(section('Timeline', claim.history && claim.history.length
    ? el('ol', { class: 'timeline' }, claim.history.map((h) => el('li', {},
      time(h.at), ' — ', el('strong', {}, h.from ? `${h.from} → ${h.to}` : h.to), ` (${h.cause}) by `, el('span', {}, h.actor),
      h.detail ? el('div', { class: 'muted' }, h.detail) : null)))
    : el('p', { class: 'muted' }, 'No history yet.')));

  page.push(section('Rule trace', traceView(result.trace)));
  page.push(section('Changes the rules made', (result.changes || []).length
    ? table([
      { label: 'Field', cell: (c) => c.itemSequence ? `${c.field} (line ${c.itemSequence})` : c.field },
      { label: 'Rule', cell: (c) => c.ruleId },
      { label: 'Before', cell: (c) => JSON.stringify(c.before) },
      { label: 'After', cell: (c) => JSON.stringify(c.after) },
    ], result.changes, { caption: 'Changes' })
    : el('p', { class: 'muted' }, 'The rules changed nothing.')));

  const risk = result.risk;
  page.push(section('Risk score', risk
    ? [el('p', {}, el('strong', {}, `${risk.score} / 100`)),
      risk.factors.length
        ? el('ul', {}, risk.factors.map((f) => el('li', {}, `${f.code} (+${f.points}): ${f.explanation}`)))
        : el('p', { class: 'muted' }, 'No risk factors.')]
    : el('p', { class: 'muted' }, 'Not evaluated yet.')));

  const authSection = el('div', {}, el('p', { class: 'muted' }, 'Looking for a matched authorization…'));
  page.push(section('Authorization', authSection));

  const submission = claim.submission;
  page.push(section('Outbound file', submission
    ? el('dl', { class: 'facts' },
      el('dt', {}, 'Format'), el('dd', {}, submission.format),
      el('dt', {}, 'File'), el('dd', {}, submission.file || '—'),
      submission.fhirFile ? [el('dt', {}, 'FHIR file'), el('dd', {}, submission.fhirFile)] : null,
      submission.interchangeControlNumber ? [el('dt', {}, 'Interchange'), el('dd', {}, submission.interchangeControlNumber)] : null,
      submission.format !== 'fhir-bundle' ? [el('dt', {}, 'Download'), el('dd', {}, el('button', { type: 'button', class: 'link', onclick: () => downloadX12(claim.claimId) }, 'Download the X12 interchange'))] : null)
    : el('p', { class: 'muted' }, 'Nothing sent yet.')));

  clear(main, page);
  focusHeading(main);
  loadAuthorization(claim.claimId, authSection);
}

function section(title, content) {
  const id = `s-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return el('section', { class: 'card', 'aria-labelledby': id }, el('h2', { id }, title), content);
}

function traceView(trace) {
  if (!trace || trace.length === 0) return el('p', { class: 'muted' }, 'No trace (not evaluated yet).');
  return el('ol', { class: 'trace' }, trace.map((t) => el('li', {},
    el('strong', {}, t.ruleId), ` — ${t.status}${t.branch ? `, took the ${t.branch} branch` : ''}`,
    t.conditions ? el('div', {}, conditionView(t.conditions)) : null,
    t.actions && t.actions.length ? el('div', {}, `Actions: ${t.actions.join('; ')}`) : null)));
}

function conditionView(node) {
  if (node === null || typeof node !== 'object') return el('span', {}, String(node));
  for (const op of ['and', 'or']) {
    if (Array.isArray(node[op])) {
      return el('div', {}, `${op.toUpperCase()}${node.result !== undefined ? ` → ${node.result}` : ''}`,
        el('ul', {}, node[op].map((c) => el('li', {}, conditionView(c)))));
    }
  }
  if (node.not) return el('div', {}, 'NOT', el('ul', {}, el('li', {}, conditionView(node.not))));
  const ok = node.result === true;
  const label = node.field ? `${node.field} ${node.op || ''}` : (node.always !== undefined ? 'always' : JSON.stringify(node));
  return el('span', { class: ok ? 'cond-true' : 'cond-false' }, `${label} → ${node.result === undefined ? '?' : node.result ? 'true' : 'false'}`);
}

async function loadAuthorization(claimId, container) {
  try {
    const audit = (await api(`/audit?claimId=${encodeURIComponent(claimId)}&pageSize=100`)).body;
    const consume = (audit.entries || []).find((e) => e.action === 'authorization.consume');
    const number = consume && /authorization ([^;]+);/.exec(consume.details || '')?.[1];
    if (!number) {
      clear(container, el('p', { class: 'muted' }, 'No authorization units were consumed for this claim (none matched, or it has not been submitted).'));
      return;
    }
    const { body: auth } = await api(`/authorizations/${encodeURIComponent(number)}`, { accept: [404] });
    clear(container, auth && auth.authNumber
      ? el('dl', { class: 'facts' },
        el('dt', {}, 'Number'), el('dd', {}, el('a', { href: `#/authorizations?number=${encodeURIComponent(auth.authNumber)}` }, auth.authNumber)),
        el('dt', {}, 'Status'), el('dd', {}, auth.status),
        el('dt', {}, 'Units'), el('dd', {}, `${auth.unitsUsed} used of ${auth.unitsAuthorized}; ${auth.unitsRemaining ?? auth.unitsAuthorized - auth.unitsUsed} remaining`),
        el('dt', {}, 'Valid'), el('dd', {}, `${auth.startDate} to ${auth.expirationDate}`),
        el('dt', {}, 'This claim'), el('dd', {}, consume.details))
      : el('p', {}, `Authorization ${number} (${consume.details}) — it no longer exists.`));
  } catch (error) {
    clear(container, message('error', error instanceof ApiError ? error.sentence : String(error)));
  }
}

async function downloadX12(claimId) {
  try {
    const { body } = await api(`/claims/${claimId}/x12`);
    const url = URL.createObjectURL(new Blob([body], { type: 'application/edi-x12' }));
    const link = el('a', { href: url, download: `${claimId}.x12` });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    announce(error instanceof ApiError ? error.sentence : String(error));
  }
}

function actionsPanel(main, claim) {
  const problem = el('div', { id: 'action-problem' });
  const releasable = ['Held', 'Rejected'].includes(claim.status);
  const cancellable = ['Held', 'Rejected', 'Received', 'Evaluating', 'Failed'].includes(claim.status);
  const note = el('textarea', { id: 'release-note', name: 'note', rows: '3' });
  const noteError = el('div', { class: 'field-error', id: 'release-note-error' });
  const reevaluate = el('input', { type: 'radio', name: 'mode', id: 'mode-reevaluate', value: 'reevaluate', checked: true });
  const override = el('input', { type: 'radio', name: 'mode', id: 'mode-override', value: 'override' });
  const releaseButton = el('button', { type: 'submit', class: 'primary' }, 'Release');
  const form = el('form', { 'aria-labelledby': 'actions-title' },
    el('fieldset', {}, el('legend', {}, 'How to release'),
      el('div', { class: 'row' }, reevaluate, el('label', { for: 'mode-reevaluate' }, 'Reevaluate — run the rules again')),
      el('div', { class: 'row' }, override, el('label', { for: 'mode-override' }, 'Override — submit without the rules (needs a note)'))),
    field('Note', note, 'Required for an override; kept in the audit log.'), noteError,
    el('div', { class: 'row' }, releaseButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const mode = override.checked ? 'override' : 'reevaluate';
    clear(noteError); note.removeAttribute('aria-invalid');
    if (mode === 'override' && !note.value.trim()) {
      clear(noteError, 'An override needs a note saying why the claim can go without the rules.');
      note.setAttribute('aria-invalid', 'true');
      note.setAttribute('aria-errormessage', 'release-note-error');
      note.focus();
      return;
    }
    releaseButton.disabled = true;
    await act(main, claim, problem, `/claims/${claim.claimId}/release`, { mode, note: note.value.trim() || undefined }, 'The release');
    releaseButton.disabled = false;
  });

  const cancelArea = el('div', { class: 'row' });
  const cancelButton = el('button', { type: 'button', class: 'danger' }, 'Cancel claim');
  cancelButton.addEventListener('click', () => {
    const confirm = el('button', { type: 'button', class: 'danger' }, 'Yes, cancel this claim');
    const keep = el('button', { type: 'button' }, 'No, keep it');
    clear(cancelArea, el('span', {}, 'Cancel the claim? It will not be submitted.'), confirm, keep);
    keep.addEventListener('click', () => { clear(cancelArea, cancelButton); cancelButton.focus(); });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      await act(main, claim, problem, `/claims/${claim.claimId}/cancel`, { note: note.value.trim() || undefined }, 'The cancel');
    });
    confirm.focus();
  });
  clear(cancelArea, cancelButton);

  return el('section', { class: 'card', 'aria-labelledby': 'actions-title' },
    el('h2', { id: 'actions-title' }, 'Actions'), problem,
    releasable ? form : el('p', { class: 'muted' }, 'Only a held or rejected claim can be released.'),
    cancellable ? cancelArea : null);
}

async function act(main, claim, problem, path, body, what) {
  clear(problem);
  try {
    const { body: view } = await api(path, { method: 'POST', body, context: what });
    announce(`${what} was accepted. The claim is now ${view.status}.`);
    renderClaim(main, view, message('ok', `${what} was accepted. The claim is now ${view.status}.`));
    followUntilSettled(main, view);
  } catch (error) {
    clear(problem, message('error', error instanceof ApiError ? error.sentence : String(error)));
    problem.querySelector('.message')?.setAttribute('tabindex', '-1');
    problem.querySelector('.message')?.focus();
  }
}

// After a release the pipeline moves the claim on within seconds: refresh the status until it settles.
async function followUntilSettled(main, view) {
  const moving = ['Submitting', 'Evaluating', 'Received'];
  let current = view;
  for (let i = 0; i < 20 && moving.includes(current.status); i++) {
    await new Promise((r) => { setTimeout(r, 750); });
    if (!location.hash.endsWith(view.claimId)) return;
    try {
      current = (await api(`/claims/${view.claimId}`)).body;
    } catch { return; }
    if (!moving.includes(current.status)) {
      renderClaim(main, current, message('ok', `The claim is now ${current.status}.`));
      announce(`The claim is now ${current.status}.`);
    } else {
      const status = document.getElementById('claim-status');
      if (status) status.textContent = current.status;
    }
  }
}
