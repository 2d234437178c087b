// Authorizations, alerts and audit (docs/CONSOLE.md).
import { el, clear, message } from './dom.js';

function notYet(main, title) {
  clear(main, el('h1', { tabindex: '-1' }, title), message('warn', `The ${title.toLowerCase()} screen is not built yet: use the API (docs/API.md).`));
}

export async function authorizationsScreen(main) { notYet(main, 'Authorizations'); }
export async function alertsScreen(main) { notYet(main, 'Alerts'); }
export async function auditScreen(main) { notYet(main, 'Audit'); }
