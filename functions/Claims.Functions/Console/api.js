// The API client: same origin, the admin key from session storage in the x-api-key header (never in a URL).
// Every refusal becomes an ApiError whose `sentence` a person can read (docs/CONSOLE.md "Errors").

const KEY = 'claims.console.adminKey';

// /api/console → /api: the console is served under the app's route prefix, so the API is its parent path.
export const apiBase = location.pathname.replace(/\/console(\/.*)?$/, '');

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, sentence, issues) {
    super(sentence);
    this.status = status;
    this.sentence = sentence;
    this.issues = issues || [];
  }
}

const defaults = {
  401: 'Your key was not accepted (unknown or revoked). Sign in again with a current admin key.',
  403: 'This key is not an admin key: the console needs the tenant\'s admin key.',
  404: 'Not found: it does not exist for this tenant (or it was deleted).',
  409: 'That is no longer possible: the item changed state since you opened it. Reload to see where it stands.',
  412: 'Someone else saved a change after you opened this, so your change was not saved. Reload to see their version, then make your change again.',
  413: 'That is too large for the API to accept.',
  415: 'The API did not accept the content type.',
  428: 'The save needs the version you started from; reload and try again.',
  429: 'Too many requests for this tenant right now; wait a few seconds and try again.',
  503: 'Storage is unavailable right now; nothing was changed. Try again in a moment.',
};

export function sentenceFor(status, issues, context) {
  const detail = issues.map((i) => i.diagnostics).filter(Boolean).join(' ');
  if (status === 409) {
    const what = context || 'That action';
    return `${what} was refused because the claim is no longer in a state that allows it${detail ? `: ${detail}` : '.'} Reload to see where it stands.`;
  }
  if (status === 412) return defaults[412];
  if (status === 400 || status === 422) {
    return detail || 'The API refused the request as invalid.';
  }
  return defaults[status] || (detail ? `The API answered ${status}: ${detail}` : `The API answered ${status}.`);
}

/**
 * Calls the API. Returns { status, body, etag }; throws ApiError for any status >= 400 except those listed in
 * `accept`. A 401 also signs the user out (the key is no longer good).
 */
export async function api(path, { method = 'GET', body, headers = {}, accept = [], context } = {}) {
  const init = { method, headers: { ...headers }, cache: 'no-store' };
  if (session.key) init.headers['x-api-key'] = session.key;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiBase + path, init);
  } catch {
    throw new ApiError(0, 'The app could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let json = null;
  if (text && /json/.test(response.headers.get('Content-Type') || '')) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  const result = { status: response.status, body: json ?? text, etag: response.headers.get('ETag') };
  if (response.status >= 400 && !accept.includes(response.status)) {
    const issues = json && json.resourceType === 'OperationOutcome' ? (json.issue || []) : [];
    if (response.status === 401) window.dispatchEvent(new CustomEvent('console:unauthorized'));
    throw new ApiError(response.status, sentenceFor(response.status, issues, context), issues);
  }
  return result;
}

/** The sentence for any error: an ApiError's own, else the error's message. */
export function errorText(error) { return error instanceof ApiError ? error.sentence : String(error && error.message ? error.message : error); }

/** The issues whose JSON path (`expression`) is `prefix` or inside it (`prefix.x`, `prefix[0]`). */
export function issuesAt(issues, prefix) {
  return issues.filter((i) => (i.expression || []).some((e) => e === prefix || e.startsWith(`${prefix}.`) || e.startsWith(`${prefix}[`)));
}

/** "path, path: diagnostics" — one issue as the screens show it next to its field. */
export function issueText(issue) {
  return `${(issue.expression || []).join(', ')}${issue.expression && issue.expression.length ? ': ' : ''}${issue.diagnostics}`;
}
