// Notification subscriptions (docs/CONSOLE.md "Subscriptions", docs/NOTIFICATIONS.md): the list, create, edit with
// If-Match (412 explained, with a reload), 422 problems next to their fields, rotate the signing secret, delete with a
// confirmation, and a subscription's delivery log (paged) with "Send again" ($resend).
// The signing secret is only ever in the create/rotate answer and then in one read-only field of the page until the
// person hides it or leaves the screen: never in session storage, the URL, the console or a log.
import { api, ApiError, errorText, issuesAt, issueText } from './api.js';
import { el, clear, time, withLoading, message, announce, field, heading, focusHeading, confirmInPlace } from './dom.js';

export const EVENTS = ['Held', 'Released', 'Escalated', 'Submitted', 'Accepted', 'Rejected', 'Failed', 'Cancelled'];

const path = (id) => `/subscriptions/${encodeURIComponent(id)}`;

export async function subscriptionsScreen(main, sub) {
  const deliveries = /^([A-Za-z0-9_-]+)\/deliveries$/.exec(sub || '');
  if (deliveries) { await deliveriesScreen(main, deliveries[1]); return; }
  await listScreen(main);
}

function stateText(s) {
  if (s.enabled) return s.failingSince ? `On — failing since ${new Date(s.failingSince).toLocaleString()}` : 'On';
  if (s.disabledReason === 'failing') return 'Off — switched off after failing for a day; turn it on to send what is waiting';
  if (s.disabledReason === 'admin') return 'Off — switched off by an admin';
  return `Off${s.disabledReason ? ` — ${s.disabledReason}` : ''}`;
}

async function listScreen(main) {
  const secretArea = el('div', { id: 'secret-area' });
  const editor = el('div');
  const results = el('div');
  clear(main, heading('Notification subscriptions'),
    el('p', { class: 'muted' }, 'An EHR subscribes to the claim events it wants; each one is sent to its HTTPS address as a signed POST (docs/NOTIFICATIONS.md).'),
    el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => editForm(editor, null, reload, secretArea) }, 'New subscription')),
    secretArea, editor, results);
  focusHeading(main);

  async function reload() {
    try {
      const { body } = await withLoading(results, api('/subscriptions'));
      const items = [...(body.items || [])].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
      if (!items.length) {
        clear(results, el('div', { class: 'empty' }, el('p', {}, 'No subscriptions yet.'),
          el('p', {}, 'Add one with "New subscription": the EHR\'s HTTPS address and the events it wants to hear about. Its signing secret is shown once, when it is created.')));
        return;
      }
      clear(results, el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Subscriptions' },
        el('thead', {}, el('tr', {}, ['Address', 'Events', 'Source filter', 'State', 'Created', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, items.map((s) => el('tr', { 'data-subscription': s.id },
          el('td', { 'data-label': 'Address' }, el('div', {}, el('span', { class: 'wrap' }, s.url), s.description ? el('div', { class: 'muted' }, s.description) : null)),
          el('td', { 'data-label': 'Events' }, el('div', {}, s.events.map((e) => el('span', { class: 'tag' }, e)))),
          el('td', { 'data-label': 'Source filter' }, s.sourceSystem ? el('span', { class: 'wrap' }, s.sourceSystem) : el('span', { class: 'muted' }, 'every claim')),
          el('td', { 'data-label': 'State', class: s.enabled ? '' : 'cond-false' }, el('div', {}, stateText(s),
            s.previousSecretExpiresAt && new Date(s.previousSecretExpiresAt) > new Date() ? el('div', { class: 'muted' }, 'Old secret still signs until ', time(s.previousSecretExpiresAt)) : null)),
          el('td', { 'data-label': 'Created' }, time(s.createdAt)),
          el('td', { 'data-label': 'Actions' }, el('div', { class: 'row' },
            el('a', { class: 'button', href: `#/subscriptions/${encodeURIComponent(s.id)}/deliveries`, 'aria-label': `Deliveries to ${s.url}` }, 'Deliveries'),
            el('button', { type: 'button', 'aria-label': `Edit ${s.url}`, onclick: () => editForm(editor, s.id, reload, secretArea) }, 'Edit'),
            el('button', { type: 'button', 'aria-label': `Rotate the secret of ${s.url}`, onclick: () => rotateForm(editor, s, reload, secretArea) }, 'Rotate secret'),
            el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${s.url}`, onclick: (e) => confirmDelete(e.currentTarget, s, reload) }, 'Delete')))))))));
    } catch (error) {
      clear(results, message('error', errorText(error)));
    }
  }
  await reload();
}

/** Shows the secret once, in a read-only field, with a copy button; "Hide it" (or leaving the screen) removes it. */
function showSecret(area, secret, what, extra) {
  const input = el('input', { type: 'text', readonly: true, class: 'code wide', autocomplete: 'off', spellcheck: 'false', value: secret });
  const copied = el('span', { role: 'status', class: 'muted' });
  const copy = el('button', { type: 'button', class: 'primary' }, 'Copy the secret');
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      copied.textContent = 'Copied to the clipboard.';
    } catch {
      copied.textContent = 'The browser did not allow copying: the secret is selected, copy it with Ctrl+C (⌘C).';
    }
  });
  const hide = el('button', { type: 'button', onclick: () => { clear(area); document.querySelector('main h1')?.focus(); } }, 'I have copied it — hide it');
  clear(area, el('section', { class: 'card secret', 'aria-labelledby': 'secret-title' },
    el('h2', { id: 'secret-title', tabindex: '-1' }, `The signing secret ${what}`),
    el('p', {}, el('strong', {}, 'Copy it now: it will not be shown again.'), ' Give it to the EHR that receives the notifications; it verifies every delivery\'s signature with it. The console does not keep it anywhere; if it is lost, rotate the secret.'),
    extra || null,
    field('Signing secret', input),
    el('div', { class: 'row' }, copy, hide, copied)));
  area.querySelector('h2').focus();
  // Said without the secret itself, which is read only when the person moves to its field.
  announce('A signing secret is shown once below: copy it now, it will not be shown again.');
}

function confirmDelete(button, s, reload) {
  confirmInPlace(button, `Yes, delete the subscription to ${s.url}`, 'Keep it', async (cell) => {
    try {
      await api(path(s.id), { method: 'DELETE', context: 'The delete' });
      announce(`The subscription to ${s.url} was deleted; its waiting notifications will not be sent.`);
      await reload();
    } catch (error) {
      clear(cell, message('error', errorText(error)));
    }
  });
}

/** Create (id null) or edit a subscription; 422 problems next to their fields, 412 explained with a reload. */
async function editForm(container, id, reload, secretArea) {
  let current = { url: '', events: ['Held'], sourceSystem: null, description: null, enabled: true };
  let etag = null;
  if (id) {
    const answer = await withLoading(container, api(path(id)));
    current = answer.body; etag = answer.etag;
  }
  const url = el('input', { type: 'url', required: true, autocomplete: 'off', spellcheck: 'false', value: current.url, class: 'wide' });
  const boxes = EVENTS.map((e) => el('input', { type: 'checkbox', value: e, checked: current.events.includes(e) }));
  const source = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', value: current.sourceSystem || '', class: 'wide' });
  const description = el('input', { type: 'text', maxlength: '200', value: current.description || '', class: 'wide' });
  const enabled = el('input', { type: 'checkbox', checked: current.enabled });
  const uid = Math.random().toString(36).slice(2, 8);
  const errorBox = (name) => el('div', { id: `sub-${name}-error-${uid}`, class: 'field-errors' });
  const errors = { url: errorBox('url'), events: errorBox('events'), sourceSystem: errorBox('source'), description: errorBox('description'), enabled: errorBox('enabled') };
  const eventsSet = el('fieldset', { 'aria-describedby': errors.events.id },
    el('legend', {}, 'Events to send'),
    el('div', { class: 'checks' }, boxes.map((box) => { box.id = `sub-event-${box.value}-${uid}`; return el('span', { class: 'check' }, box, el('label', { for: box.id }, box.value)); })),
    errors.events);
  enabled.id = `sub-enabled-${uid}`;
  const problem = el('div');
  const submit = el('button', { type: 'submit', class: 'primary' }, id ? 'Save' : 'Create');
  const form = el('form', { class: 'card', 'aria-labelledby': `sub-form-title-${uid}`, novalidate: true },
    el('h2', { id: `sub-form-title-${uid}`, tabindex: '-1' }, id ? `Edit the subscription to ${current.url}` : 'New subscription'),
    field('Address (HTTPS URL of the EHR\'s endpoint)', url, 'Must be https to a public address.'), errors.url,
    eventsSet,
    field('Only claims from this source system (optional)', source, 'An absolute URI: only claims whose first identifier has this system are sent. Empty: every claim.'), errors.sourceSystem,
    field('Description (optional)', description, 'At most 200 characters, for people: what this subscription is for.'), errors.description,
    el('div', { class: 'field' }, el('span', { class: 'check' }, enabled, el('label', { for: enabled.id }, 'On (send notifications)')),
      el('div', { class: 'muted' }, id ? 'Turning it on again sends every notification that waited while it was off.' : 'Leave on to start sending at once.'), errors.enabled),
    problem,
    el('div', { class: 'row' }, submit, el('button', { type: 'button', onclick: () => clear(container) }, 'Close')));
  url.setAttribute('aria-describedby', `${url.getAttribute('aria-describedby')} ${errors.url.id}`);
  source.setAttribute('aria-describedby', `${source.getAttribute('aria-describedby')} ${errors.sourceSystem.id}`);
  description.setAttribute('aria-describedby', `${description.getAttribute('aria-describedby')} ${errors.description.id}`);
  const controls = { url, events: boxes[0], sourceSystem: source, description, enabled };

  function showIssues(issues) {
    let first = null;
    const shown = new Set();
    for (const [name, box] of Object.entries(errors)) {
      const mine = issuesAt(issues, name);
      mine.forEach((i) => shown.add(i));
      clear(box, mine.map((i) => el('div', { class: 'field-error' }, issueText(i))));
      const control = controls[name];
      if (mine.length) { control.setAttribute('aria-invalid', 'true'); first = first || control; } else control.removeAttribute('aria-invalid');
    }
    const rest = issues.filter((i) => !shown.has(i));
    clear(problem, el('div', { class: 'message error', role: 'alert' },
      `Not saved: ${issues.length} problem${issues.length > 1 ? 's' : ''}, shown next to ${issues.length > 1 ? 'their fields' : 'its field'}.`,
      rest.length ? el('ul', {}, rest.map((i) => el('li', {}, issueText(i)))) : null));
    (first || submit).focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { url: url.value.trim(), events: boxes.filter((b) => b.checked).map((b) => b.value), enabled: enabled.checked };
    if (source.value.trim()) body.sourceSystem = source.value.trim();
    if (description.value.trim()) body.description = description.value.trim();
    if (!body.events.length) { showIssues([{ expression: ['events'], diagnostics: 'Choose at least one event.' }]); return; }
    submit.disabled = true;
    try {
      if (id) {
        const { body: saved } = await api(path(id), { method: 'PUT', body, headers: { 'If-Match': etag }, context: 'The save' });
        clear(container, message('ok', `Saved: the subscription to ${saved.url} is version ${saved.version}.`));
        announce('Subscription saved.');
      } else {
        const { body: created } = await api('/subscriptions', { method: 'POST', body, context: 'The create' });
        clear(container);
        showSecret(secretArea, created.secret, `of the new subscription to ${created.url}`);
      }
      await reload();
    } catch (error) {
      submit.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 412) {
        const again = el('button', { type: 'button', onclick: () => editForm(container, id, reload, secretArea) }, 'Reload the subscription (drops your changes)');
        clear(problem, el('div', { class: 'message error', role: 'alert' },
          el('p', {}, `Not saved: someone else changed this subscription after you opened version ${current.version}. Your changes are still in the form. Reload to see their version, then make your change again.`),
          again));
        again.focus();
        return;
      }
      if ((error.status === 422 || error.status === 400) && error.issues.length) { showIssues(error.issues); return; }
      clear(problem, message('error', error.sentence));
      submit.focus();
    }
  });
  clear(container, form);
  form.querySelector('h2').focus();
}

function rotateForm(container, s, reload, secretArea) {
  const hours = el('input', { type: 'number', min: '0', max: '168', step: '1', value: '24', required: true });
  const problem = el('div');
  const go = el('button', { type: 'submit', class: 'primary' }, 'Rotate the secret now');
  const form = el('form', { class: 'card', 'aria-labelledby': 'rotate-title' },
    el('h2', { id: 'rotate-title', tabindex: '-1' }, `Rotate the signing secret of ${s.url}`),
    el('p', {}, 'A new secret is made now and shown once. During the overlap every delivery carries two signatures, one with the new secret and one with the old, so the EHR keeps verifying while it switches to the new secret. After the overlap only the new secret signs. 0 hours drops the old secret at once (deliveries the EHR verifies with the old one will then fail).'),
    field('Overlap (hours, 0 to 168)', hours, 'How long the old secret keeps signing too.'),
    problem,
    el('div', { class: 'row' }, go, el('button', { type: 'button', onclick: () => clear(container) }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const overlapHours = Number(hours.value);
    if (hours.value === '' || !Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > 168) {
      clear(problem, message('error', 'The overlap is a number of hours from 0 to 168.'));
      hours.setAttribute('aria-invalid', 'true');
      hours.focus();
      return;
    }
    go.disabled = true;
    try {
      const { body } = await api(`${path(s.id)}/$rotate-secret`, { method: 'POST', body: { overlapHours }, context: 'The rotation' });
      clear(container);
      showSecret(secretArea, body.secret, `of ${body.url}, new since now`, body.previousSecretExpiresAt
        ? el('p', {}, 'The old secret keeps signing too until ', time(body.previousSecretExpiresAt), '.')
        : el('p', {}, 'The old secret no longer signs.'));
      await reload();
    } catch (error) {
      go.disabled = false;
      clear(problem, message('error', errorText(error)));
    }
  });
  clear(container, form);
  form.querySelector('h2').focus();
}

// ---- Delivery log -------------------------------------------------------------------------------------------------

const stateLabels = { pending: 'Waiting to be sent', delivered: 'Delivered', rejected: 'Rejected (not retried)', expired: 'Expired (24 h of failures)', skipped: 'Skipped' };

async function deliveriesScreen(main, id) {
  const { body: s } = await withLoading(main, api(path(id)));
  const results = el('div');
  const more = el('div');
  const refresh = el('button', { type: 'button' }, 'Refresh');
  clear(main, heading(`Deliveries to ${s.url}`),
    el('p', {}, el('a', { href: '#/subscriptions' }, '← Back to the subscriptions')),
    el('p', { class: 'muted' }, `Events: ${s.events.join(', ')}. ${stateText(s)}. One row per notification, by claim and then in the order of its events.`),
    el('div', { class: 'row' }, refresh), results, more);
  focusHeading(main);
  const tbody = el('tbody');

  function row(d) {
    const resend = el('button', { type: 'button', 'aria-label': `Send again: ${d.event} of claim ${d.claimId}` }, 'Send again');
    const out = el('span', { role: 'status' });
    resend.addEventListener('click', async () => {
      resend.disabled = true;
      try {
        const { body } = await api(`${path(id)}/deliveries/${encodeURIComponent(d.id)}/$resend`, { method: 'POST', context: 'The resend' });
        const fresh = row(body);
        tr.replaceWith(fresh);
        fresh.querySelector('[role=status]').textContent = 'Queued to be sent again (same webhook-id).';
        fresh.querySelector('button').focus();
        announce(`${d.event} of claim ${d.claimId} queued to be sent again.`);
      } catch (error) {
        resend.disabled = false;
        out.textContent = errorText(error);
        out.className = 'field-error';
      }
    });
    const tr = el('tr', { 'data-delivery': d.id },
      el('td', { 'data-label': 'Event' }, el('div', {}, d.event, el('div', { class: 'muted' }, `claim became ${d.status}`), el('div', { class: 'muted' }, time(d.at)))),
      el('td', { 'data-label': 'Claim' }, el('a', { href: `#/claims/${d.claimId}` }, d.claimId.slice(0, 8))),
      el('td', { 'data-label': 'State', class: d.state === 'delivered' ? 'cond-true' : (d.state === 'pending' ? '' : 'cond-false') }, stateLabels[d.state] || d.state),
      el('td', { 'data-label': 'Attempts' }, String(d.attempts)),
      el('td', { 'data-label': 'Last result' }, el('div', {}, d.lastResult || (d.state === 'delivered' ? '2xx' : '—'), d.lastAttemptAt ? el('div', { class: 'muted' }, time(d.lastAttemptAt)) : null)),
      el('td', { 'data-label': 'Next attempt' }, el('div', {}, d.nextAttemptAt ? time(d.nextAttemptAt) : el('span', { class: 'muted' }, d.state === 'delivered' ? 'none — delivered ' : 'none'), d.deliveredAt ? time(d.deliveredAt) : null)),
      el('td', { 'data-label': 'Actions' }, el('div', { class: 'row' }, resend, out)));
    return tr;
  }

  async function load(token) {
    const q = new URLSearchParams({ pageSize: '50' });
    if (token) q.set('continuationToken', token);
    try {
      const { body: page } = await withLoading(results, api(`${path(id)}/deliveries?${q}`));
      const items = page.items || [];
      if (!token) {
        tbody.replaceChildren();
        if (!items.length) {
          clear(results, el('div', { class: 'empty' }, el('p', {}, 'No deliveries yet.'),
            el('p', {}, `A row appears here when a claim of this tenant has one of the events above (${s.events.join(', ')}). Use "Refresh" to look again.`)));
          clear(more);
          return;
        }
        clear(results, el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Deliveries' },
          el('thead', {}, el('tr', {}, ['Event', 'Claim', 'State', 'Attempts', 'Last result', 'Next attempt', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))), tbody)));
      }
      const rows = items.map(row);
      tbody.append(...rows);
      if (token && rows.length) rows[0].querySelector('a')?.focus();
      clear(more, page.continuationToken ? el('button', { type: 'button', onclick: () => load(page.continuationToken) }, 'Load more') : null);
    } catch (error) {
      clear(more, message('error', errorText(error)));
    }
  }
  refresh.addEventListener('click', async () => { await load(null); announce('Delivery log refreshed.'); });
  await load(null);
}
