// Authorizations, alerts and the audit log (docs/CONSOLE.md).
import { api, ApiError, errorText, issueText } from './api.js';
import { el, clear, time, withLoading, message, announce, field, heading, focusHeading, confirmInPlace } from './dom.js';

// ---- Authorizations -----------------------------------------------------------------------------------------------

/** Units a day since the start, and the day the units run out at that pace (null when nothing is used yet). */
export function burnForecast(auth, today = new Date()) {
  const start = new Date(`${auth.startDate}T00:00:00Z`);
  const days = Math.max(1, Math.floor((today - start) / 86_400_000));
  const perDay = auth.unitsUsed / days;
  const remaining = auth.unitsRemaining ?? auth.unitsAuthorized - auth.unitsUsed;
  if (perDay <= 0 || today < start) return { perDay: 0, runsOut: null, beforeExpiry: false };
  const runsOut = new Date(today.getTime() + (remaining / perDay) * 86_400_000);
  return { perDay, runsOut, beforeExpiry: runsOut < new Date(`${auth.expirationDate}T00:00:00Z`) };
}

export async function authorizationsScreen(main, params) {
  const expiring = params.get('expiringBefore') || '';
  const statusFilter = params.get('status') || '';
  const expInput = el('input', { type: 'date', id: 'auth-expiring', value: expiring });
  const statusSelect = el('select', { id: 'auth-status' }, ['', 'ACTIVE', 'EXPIRING_SOON', 'EXPIRED', 'RENEWED'].map((s) => el('option', { value: s, selected: s === statusFilter }, s || 'Any')));
  const filters = el('form', { class: 'filters', role: 'search', 'aria-label': 'Authorization filters' },
    field('Expiring before', expInput), field('Status', statusSelect),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, 'Apply')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (expInput.value) q.set('expiringBefore', expInput.value);
    if (statusSelect.value) q.set('status', statusSelect.value);
    location.hash = `#/authorizations?${q}`;
  });
  const results = el('div');
  const editor = el('div');
  clear(main, heading('Authorizations'), filters,
    el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => editForm(editor, null, reload) }, 'New authorization')),
    editor, results);
  focusHeading(main);

  async function reload() {
    const q = new URLSearchParams({ pageSize: '200' });
    if (expiring) q.set('expiringBefore', expiring);
    if (statusFilter) q.set('status', statusFilter);
    try {
      const { body } = await withLoading(results, api(`/authorizations?${q}`));
      const items = [...(body.items || [])].sort((a, b) => String(a.expirationDate).localeCompare(String(b.expirationDate)));
      if (!items.length) {
        clear(results, el('div', { class: 'empty' }, el('p', {}, 'No authorizations match.'), el('p', {}, 'Add one with "New authorization": claims for ABA services are held until theirs is on file.')));
        return;
      }
      clear(results, el('p', { class: 'muted' }, `${items.length} shown, expiring soonest first${body.continuationToken ? ' (the first 200; narrow the filters to see the rest)' : ''}.`),
        el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Authorizations' },
          el('thead', {}, el('tr', {}, ['Number', 'Payer', 'Status', 'Units used / authorized', 'Remaining', 'Forecast', 'Valid', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
          el('tbody', {}, items.map((a) => {
            const f = burnForecast(a);
            return el('tr', {},
              el('td', { 'data-label': 'Number' }, a.authNumber),
              el('td', { 'data-label': 'Payer' }, a.payer),
              el('td', { 'data-label': 'Status' }, a.status),
              el('td', { 'data-label': 'Units used / authorized' }, `${a.unitsUsed} / ${a.unitsAuthorized}`),
              el('td', { 'data-label': 'Remaining' }, String(a.unitsRemaining ?? a.unitsAuthorized - a.unitsUsed)),
              el('td', { 'data-label': 'Forecast' }, f.runsOut
                ? `${f.perDay.toFixed(1)} units/day; runs out ${f.runsOut.toLocaleDateString()}${f.beforeExpiry ? ' — before it expires' : ''}`
                : 'No units used yet'),
              el('td', { 'data-label': 'Valid' }, `${a.startDate} to ${a.expirationDate}`),
              el('td', { 'data-label': 'Actions' }, el('div', { class: 'row' },
                el('button', { type: 'button', 'aria-label': `Edit ${a.authNumber}`, onclick: () => editForm(editor, a.authNumber, reload) }, 'Edit'),
                el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${a.authNumber}`, onclick: (e) => confirmDelete(e.currentTarget, a.authNumber, reload) }, 'Delete'))));
          })))));
    } catch (error) {
      clear(results, message('error', errorText(error)));
    }
  }
  await reload();
}

function confirmDelete(button, number, reload) {
  confirmInPlace(button, `Yes, delete ${number}`, 'Keep it', async (cell) => {
    try {
      await api(`/authorizations/${encodeURIComponent(number)}`, { method: 'DELETE', context: 'The delete' });
      announce(`${number} deleted.`);
      await reload();
    } catch (error) {
      clear(cell, message('error', errorText(error)));
    }
  });
}

async function editForm(container, number, reload) {
  let current = { authNumber: '', patientIdentifier: '', payer: '', serviceType: 'ABA', cptCodes: [], startDate: '', expirationDate: '', unitsAuthorized: 0, unitsUsed: 0, status: 'ACTIVE', reauthLeadTimeDays: 21, autoReauthEnabled: false };
  let etag = null;
  if (number) {
    const answer = await withLoading(container, api(`/authorizations/${encodeURIComponent(number)}`));
    current = answer.body; etag = answer.etag;
  }
  const inputs = {
    authNumber: el('input', { value: current.authNumber, required: true, readonly: number ? true : undefined }),
    patientIdentifier: el('input', { value: current.patientIdentifier || '' }),
    payer: el('input', { value: current.payer || '' }),
    serviceType: el('input', { value: current.serviceType || '' }),
    cptCodes: el('input', { value: (current.cptCodes || []).join(', ') }),
    startDate: el('input', { type: 'date', value: current.startDate || '' }),
    expirationDate: el('input', { type: 'date', value: current.expirationDate || '' }),
    unitsAuthorized: el('input', { type: 'number', min: '0', value: String(current.unitsAuthorized ?? 0) }),
    unitsUsed: el('input', { type: 'number', min: '0', value: String(current.unitsUsed ?? 0) }),
    status: el('select', {}, ['ACTIVE', 'EXPIRING_SOON', 'EXPIRED', 'RENEWED'].map((s) => el('option', { value: s, selected: s === current.status }, s))),
    reauthLeadTimeDays: el('input', { type: 'number', min: '0', value: String(current.reauthLeadTimeDays ?? 21) }),
  };
  const labels = { authNumber: 'Authorization number', patientIdentifier: 'Patient identifier', payer: 'Payer id', serviceType: 'Service type', cptCodes: 'CPT codes (comma-separated)', startDate: 'Start date', expirationDate: 'Expiration date', unitsAuthorized: 'Units authorized', unitsUsed: 'Units used', status: 'Status', reauthLeadTimeDays: 'Re-authorization lead time (days)' };
  const problem = el('div');
  const form = el('form', { class: 'card', 'aria-labelledby': 'auth-form-title' },
    el('h2', { id: 'auth-form-title', tabindex: '-1' }, number ? `Edit ${number}` : 'New authorization'),
    el('div', { class: 'filters' }, Object.entries(inputs).map(([k, input]) => field(labels[k], input))),
    problem,
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, number ? 'Save' : 'Create'),
      el('button', { type: 'button', onclick: () => clear(container) }, 'Close')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      ...current,
      authNumber: inputs.authNumber.value.trim(), patientIdentifier: inputs.patientIdentifier.value.trim(), payer: inputs.payer.value.trim(),
      serviceType: inputs.serviceType.value.trim(), cptCodes: inputs.cptCodes.value.split(',').map((s) => s.trim()).filter(Boolean),
      startDate: inputs.startDate.value, expirationDate: inputs.expirationDate.value,
      unitsAuthorized: Number(inputs.unitsAuthorized.value), unitsUsed: Number(inputs.unitsUsed.value), status: inputs.status.value,
      reauthLeadTimeDays: Number(inputs.reauthLeadTimeDays.value),
    };
    delete body.unitsRemaining;
    try {
      if (number) await api(`/authorizations/${encodeURIComponent(number)}`, { method: 'PUT', body, headers: { 'If-Match': etag }, context: 'The save' });
      else await api('/authorizations', { method: 'POST', body, context: 'The create' });
      clear(container, message('ok', `${body.authNumber} saved.`));
      await reload();
    } catch (error) {
      const list = error instanceof ApiError && error.issues.length
        ? el('ul', {}, error.issues.map((i) => el('li', {}, issueText(i))))
        : null;
      clear(problem, el('div', { class: 'message error', role: 'alert' }, errorText(error), list));
    }
  });
  clear(container, form);
  form.querySelector('h2').focus();
}

// ---- Alerts -------------------------------------------------------------------------------------------------------

export async function alertsScreen(main) {
  clear(main, heading('Alerts'));
  focusHeading(main);
  const { body } = await withLoading(main, api('/alerts'));
  const items = body.items || [];
  main.append(items.length
    ? el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Open alerts, newest first' },
      el('thead', {}, el('tr', {}, ['Raised', 'Kind', 'What', 'Claim'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, items.map((a) => el('tr', {},
        el('td', { 'data-label': 'Raised' }, time(a.raisedAt)),
        el('td', { 'data-label': 'Kind' }, a.kind),
        el('td', { 'data-label': 'What' }, a.text),
        el('td', { 'data-label': 'Claim' }, a.claimId ? el('a', { href: `#/claims/${a.claimId}` }, `Open claim ${a.claimId.slice(0, 8)}`) : '—'))))))
    : el('div', { class: 'empty' }, el('p', {}, 'No open alerts.'), el('p', {}, 'Escalated holds, failed submissions, overdue acknowledgments and expiring authorizations appear here.')));
}

// ---- Audit --------------------------------------------------------------------------------------------------------

export async function auditScreen(main, params) {
  const claimInput = el('input', { id: 'audit-claim', value: params.get('claimId') || '', autocomplete: 'off' });
  const fromInput = el('input', { id: 'audit-from', type: 'datetime-local', value: params.get('from') || '' });
  const toInput = el('input', { id: 'audit-to', type: 'datetime-local', value: params.get('to') || '' });
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Audit filters' },
    field('Claim id', claimInput), field('From (your time)', fromInput), field('To (your time)', toInput),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, 'Show')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (claimInput.value.trim()) q.set('claimId', claimInput.value.trim());
    if (fromInput.value) q.set('from', fromInput.value);
    if (toInput.value) q.set('to', toInput.value);
    location.hash = `#/audit?${q}`;
  });
  const verifyOut = el('div', { 'aria-live': 'polite' });
  const verify = el('button', { type: 'button' }, 'Verify the hash chain');
  const results = el('div');
  const more = el('div');
  clear(main, heading('Audit log'), form, el('div', { class: 'row' }, verify), verifyOut, results, more);
  focusHeading(main);

  const query = new URLSearchParams({ pageSize: '50' });
  if (params.get('claimId')) query.set('claimId', params.get('claimId'));
  const iso = (local) => (local ? new Date(local).toISOString() : null);
  if (params.get('from')) query.set('from', iso(params.get('from')));
  if (params.get('to')) query.set('to', iso(params.get('to')));

  verify.addEventListener('click', async () => {
    const q = new URLSearchParams();
    if (query.get('from')) q.set('from', query.get('from'));
    if (query.get('to')) q.set('to', query.get('to'));
    try {
      const { body } = await withLoading(verifyOut, api(`/audit/verify?${q}`));
      clear(verifyOut, body.status === 'OK'
        ? message('ok', `Chain verified: OK — ${body.rowsChecked} entries in ${body.partitionsChecked} chains, no break.`)
        : message('error', `Chain BROKEN at ${body.firstBreak ? `${body.firstBreak.partition} #${body.firstBreak.sequence}: ${body.firstBreak.problem}` : 'an unknown place'} (${body.rowsChecked} entries checked).`));
    } catch (error) {
      clear(verifyOut, message('error', errorText(error)));
    }
  });

  const body = el('tbody');
  let first = true;
  async function load(token) {
    const q = new URLSearchParams(query);
    if (token) q.set('continuationToken', token);
    try {
      const { body: page } = await withLoading(results, api(`/audit?${q}`));
      const entries = page.entries || [];
      if (first) {
        first = false;
        if (!entries.length) {
          clear(results, el('div', { class: 'empty' }, 'No audit entries for these filters. Widen the period or clear the claim id.'));
          return;
        }
        clear(results, el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Audit entries, newest first' },
          el('thead', {}, el('tr', {}, ['When', 'Actor', 'Action', 'Result', 'Claim', 'Details'].map((h) => el('th', { scope: 'col' }, h)))), body)));
      }
      for (const e of entries) {
        body.append(el('tr', {},
          el('td', { 'data-label': 'When' }, time(e.at)),
          el('td', { 'data-label': 'Actor' }, e.actor),
          el('td', { 'data-label': 'Action' }, e.action),
          el('td', { 'data-label': 'Result' }, e.result),
          el('td', { 'data-label': 'Claim' }, e.claimId ? el('a', { href: `#/claims/${e.claimId}` }, e.claimId.slice(0, 8)) : '—'),
          el('td', { 'data-label': 'Details' }, [e.details, e.note ? ` — note: ${e.note}` : ''].join(''))));
      }
      clear(more, page.continuationToken ? el('button', { type: 'button', onclick: () => load(page.continuationToken) }, 'Load more') : null);
    } catch (error) {
      clear(results, message('error', errorText(error)));
    }
  }
  await load(null);
}
