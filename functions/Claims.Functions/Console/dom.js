// Small DOM helpers. Data is only ever set as text (never parsed as HTML), so nothing from the API can run as code.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'value') node.value = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A time in the user's own zone, in a <time> element carrying the exact instant. */
export function time(iso) {
  if (!iso) return el('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('span', {}, String(iso));
  return el('time', { datetime: date.toISOString(), title: `${date.toISOString()} (shown in ${zone})` }, formatter.format(date));
}

export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const hours = (now - new Date(iso).getTime()) / 3_600_000;
  if (hours < 1) return `${Math.max(0, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

/** Shows "Loading…" in `container` if `promise` takes longer than 200 ms. */
export async function withLoading(container, promise, label = 'Loading…') {
  const timer = setTimeout(() => {
    container.append(el('p', { class: 'loading', role: 'status', 'data-loading': true }, label));
  }, 200);
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    container.querySelectorAll('[data-loading]').forEach((n) => n.remove());
  }
}

export function message(kind, text) {
  return el('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function announce(text) {
  const live = document.getElementById('live');
  if (live) { live.textContent = ''; setTimeout(() => { live.textContent = text; }, 50); }
}

export function field(labelText, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintNode = hint ? el('div', { class: 'muted', id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute('aria-describedby', `${id}-hint`);
  return el('div', { class: 'field' }, el('label', { for: id }, labelText), control, hintNode);
}

export function table(columns, rows, { caption, responsive = true } = {}) {
  return el('div', { class: 'table-wrap' },
    el('table', { class: responsive ? 'responsive' : '' },
      caption ? el('caption', { class: 'visually-hidden' }, caption) : null,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c.label)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', { 'data-label': c.label }, c.cell(row))))))));
}

/** A screen's heading, focusable so navigation can move the focus to it. */
export function heading(text) { return el('h1', { tabindex: '-1' }, text); }

/** Moves the focus to the screen's heading unless something in it already has the focus. */
export function focusHeading(main) { if (!main.contains(document.activeElement)) main.querySelector('h1')?.focus(); }

/**
 * Replaces the button's row of actions by "yes" and "no" buttons (the focus on "yes"); "no" puts the row back and the
 * focus on the button, "yes" runs `action(cell)`.
 */
export function confirmInPlace(button, yesText, noText, action) {
  const cell = button.parentElement;
  const yes = el('button', { type: 'button', class: 'danger' }, yesText);
  const no = el('button', { type: 'button' }, noText);
  const original = [...cell.childNodes];
  clear(cell, yes, no);
  yes.focus();
  no.addEventListener('click', () => { clear(cell, original); button.focus(); });
  yes.addEventListener('click', () => { yes.disabled = true; action(cell); });
}
