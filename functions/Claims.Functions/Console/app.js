// The billing console: a hash-routed single page on the app's own API (docs/CONSOLE.md). Plain ES modules, no
// framework and nothing fetched from elsewhere; served by the function app at /api/console under a strict CSP.
import { api, session, ApiError } from './api.js';
import { el, clear, message, field } from './dom.js';
import { worklistScreen, claimScreen } from './claims.js';
import { rulesScreen } from './rules.js';
import { authorizationsScreen, alertsScreen, auditScreen } from './admin.js';
import { subscriptionsScreen } from './subscriptions.js';
import { x12Screen } from './x12.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

const routes = [
  [/^#\/worklist(?:\?(.*))?$/, (m) => worklistScreen(main, new URLSearchParams(m[1] || ''))],
  [/^#\/claims\/([0-9a-f-]+)$/, (m) => claimScreen(main, m[1])],
  [/^#\/rules(?:\/(.*))?$/, (m) => rulesScreen(main, m[1] || '')],
  [/^#\/authorizations(?:\?(.*))?$/, (m) => authorizationsScreen(main, new URLSearchParams(m[1] || ''))],
  [/^#\/alerts$/, () => alertsScreen(main)],
  [/^#\/audit(?:\?(.*))?$/, (m) => auditScreen(main, new URLSearchParams(m[1] || ''))],
  [/^#\/subscriptions(?:\/(.*))?$/, (m) => subscriptionsScreen(main, m[1] || '')],
  [/^#\/x12$/, () => x12Screen(main)],
];

function signInScreen(note) {
  nav.hidden = true;
  const input = el('input', { type: 'password', id: 'admin-key', name: 'admin-key', autocomplete: 'off', required: true, spellcheck: 'false' });
  const problem = el('div');
  const button = el('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = el('form', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    el('h1', { id: 'signin-title' }, 'Sign in'),
    el('p', { class: 'muted' }, 'Use your tenant\'s admin key. It is kept in this browser tab only (session storage) and sent to the API in a header.'),
    note ? message('warn', note) : null,
    field('Admin key', input),
    problem,
    button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) { clear(problem, message('error', 'Enter the admin key.')); input.focus(); return; }
    button.disabled = true;
    session.key = key;
    try {
      await api('/claims?pageSize=1');
      if (!location.hash || location.hash === '#/' || location.hash === '#/signin') location.hash = '#/worklist';
      else render();
    } catch (error) {
      session.key = null;
      clear(problem, message('error', error instanceof ApiError ? error.sentence : 'Sign-in failed.'));
      button.disabled = false;
      input.focus();
    }
  });
  clear(main, form);
  input.focus();
}

async function render() {
  if (!session.key) { signInScreen(); return; }
  nav.hidden = false;
  const hash = location.hash || '#/worklist';
  for (const link of nav.querySelectorAll('a')) {
    const current = hash.startsWith(link.getAttribute('href')) || (link.getAttribute('href') === '#/worklist' && hash.startsWith('#/claims/'));
    if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  for (const [pattern, screen] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try {
        await screen(match);
      } catch (error) {
        clear(main, el('h1', {}, 'Something went wrong'), message('error', error instanceof ApiError ? error.sentence : String(error.message || error)));
      }
      return;
    }
  }
  location.replace('#/worklist');
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.key = null;
  location.hash = '#/';
  signInScreen('You are signed out.');
});

window.addEventListener('console:unauthorized', () => {
  session.key = null;
  signInScreen('Your key was not accepted any more. Sign in again.');
});

window.addEventListener('hashchange', () => { render(); });
render();
