// Rules screens (docs/CONSOLE.md "Rules"): the ordered list with move up/down, a rule editor with inline errors at the
// API's JSON paths, the rule-set tests and their results (run without saving), dry-run of a pasted claim or a stored
// claim id, saving with the version's ETag (412 explained, with
// a reload), and the version history with a side-by-side diff and "restore this version".
import { api, ApiError, issuesAt as issuesAtPath } from './api.js';
import { el, clear, time, withLoading, message, announce, field } from './dom.js';

// One working copy per page load: { version, etag, rules, tests, dirty }.
let work = null;

export async function rulesScreen(main, sub) {
  if (sub.startsWith('history')) { await historyScreen(main); return; }
  if (!work || sub === 'reload') {
    const { body, etag } = await withLoading(main, api('/rules'));
    work = { version: body.version, etag, rules: body.rules || [], tests: body.tests || [], dirty: false, selected: 0, issues: [], testResults: null };
    if (sub === 'reload') { location.replace('#/rules'); return; }
  }
  render(main);
}

function render(main, notice) {
  const list = el('ol', { class: 'rule-list', 'aria-label': 'Rules in order' }, work.rules.map((rule, i) => ruleRow(main, rule, i)));
  const page = [
    el('h1', { tabindex: '-1' }, 'Rules'),
    el('p', { class: 'muted' }, `Version ${work.version}${work.dirty ? ' — with unsaved changes' : ''}. Rules run top to bottom; the first hold stops the claim. `,
      el('a', { href: '#/rules/history' }, 'Version history')),
    notice || null,
    notice ? null : generalIssues(),
    el('section', { class: 'card', 'aria-labelledby': 'rules-list' }, el('h2', { id: 'rules-list' }, 'In order'),
      work.rules.length ? list : el('div', { class: 'empty' }, 'No rules: every claim passes. Add one below.'),
      el('div', { class: 'row' }, el('button', { type: 'button', onclick: () => addRule(main) }, 'Add a rule'))),
    editor(main),
    testsSection(main),
    saveBar(main),
    dryRunSection(),
  ];
  clear(main, page);
  if (!main.contains(document.activeElement)) main.querySelector('h1').focus();
}

function issuesAt(prefix) {
  return issuesAtPath(work.issues, prefix);
}

function generalIssues() {
  if (!work.issues.length) return null;
  return message('error', `The rule set was not saved: ${work.issues.length} problem${work.issues.length > 1 ? 's' : ''} — shown next to each rule and test below.`);
}

function ruleRow(main, rule, i) {
  const errors = issuesAt(`rules[${i}]`);
  const up = el('button', { type: 'button', disabled: i === 0, 'aria-label': `Move ${rule.id} up`, onclick: () => move(main, i, -1) }, 'Move up');
  const down = el('button', { type: 'button', disabled: i === work.rules.length - 1, 'aria-label': `Move ${rule.id} down`, onclick: () => move(main, i, 1) }, 'Move down');
  const edit = el('button', { type: 'button', 'aria-label': `Edit ${rule.id}`, 'aria-pressed': String(work.selected === i), onclick: () => { work.selected = i; render(main); document.getElementById('rule-json')?.focus(); } }, 'Edit');
  return el('li', { class: 'card', 'data-rule': rule.id },
    el('div', { class: 'row' }, el('strong', {}, rule.id), rule.name ? el('span', {}, `— ${rule.name}`) : null,
      rule.enabled === false ? el('span', { class: 'tag' }, 'disabled') : null),
    errors.map((e) => el('div', { class: 'field-error' }, `${(e.expression || []).join(', ')}: ${e.diagnostics}`)),
    el('div', { class: 'row' }, up, down, edit));
}

function move(main, i, delta) {
  const [rule] = work.rules.splice(i, 1);
  work.rules.splice(i + delta, 0, rule);
  if (work.selected === i) work.selected = i + delta;
  work.dirty = true; work.issues = [];
  render(main);
  announce(`${rule.id} moved to position ${i + delta + 1}.`);
  const label = delta < 0 ? `Move ${rule.id} up` : `Move ${rule.id} down`;
  const again = main.querySelector(`button[aria-label="${CSS.escape(label)}"]`);
  (again && !again.disabled ? again : main.querySelector(`button[aria-label="${CSS.escape(`Edit ${rule.id}`)}"]`))?.focus();
}

function addRule(main) {
  let n = work.rules.length + 1;
  while (work.rules.some((r) => r.id === `new-rule-${n}`)) n++;
  work.rules.push({ id: `new-rule-${n}`, name: 'New rule', if: { always: true }, then: { actions: [{ applyTag: 'new' }] } });
  work.selected = work.rules.length - 1; work.dirty = true;
  render(main);
  document.getElementById('rule-json')?.focus();
}

function editor(main) {
  const i = work.selected;
  const rule = work.rules[i];
  if (!rule) return null;
  const area = el('textarea', { id: 'rule-json', class: 'code', spellcheck: 'false' });
  area.value = JSON.stringify(rule, null, 2);
  const local = el('div', { id: 'rule-json-error' });
  const errors = issuesAt(`rules[${i}]`);
  if (errors.length) {
    area.setAttribute('aria-invalid', 'true');
    area.setAttribute('aria-errormessage', 'rule-json-error');
    local.append(...errors.map((e) => el('div', { class: 'field-error' }, `${(e.expression || []).join(', ')}: ${e.diagnostics}`)));
  }
  const apply = el('button', { type: 'button', class: 'primary' }, 'Apply to the draft');
  apply.addEventListener('click', () => {
    let parsed;
    try {
      parsed = JSON.parse(area.value);
    } catch (error) {
      clear(local, el('div', { class: 'field-error', role: 'alert' }, `Not valid JSON: ${error.message}`));
      area.setAttribute('aria-invalid', 'true');
      area.focus();
      return;
    }
    work.rules[i] = parsed; work.dirty = true; work.issues = work.issues.filter((x) => !issuesAt(`rules[${i}]`).includes(x));
    render(main, message('ok', `Rule ${parsed.id} updated in the draft. Save to make it current.`));
    document.getElementById('save-rules')?.focus();
  });
  const remove = el('button', { type: 'button', class: 'danger', onclick: () => { work.rules.splice(i, 1); work.selected = 0; work.dirty = true; render(main, message('ok', `Rule ${rule.id} removed from the draft.`)); } }, 'Remove this rule');
  return el('section', { class: 'card', 'aria-labelledby': 'rule-editor' },
    el('h2', { id: 'rule-editor' }, `Edit rule ${rule.id} (rules[${i}])`),
    field(`Rule ${rule.id} as JSON`, area, 'The rule language is in docs/RULES.md. Problems the API finds are shown here at their JSON path.'),
    local,
    el('div', { class: 'row' }, apply, remove));
}

function testsSection(main) {
  const area = el('textarea', { id: 'tests-json', class: 'code', spellcheck: 'false' });
  area.value = JSON.stringify(work.tests, null, 2);
  const local = el('div', { id: 'tests-json-error' });
  const failing = work.issues.filter((i) => (i.expression || []).some((e) => /^tests\[\d+\]/.test(e)));
  for (const f of failing) local.append(el('div', { class: 'field-error' }, `${(f.expression || []).join(', ')}: ${f.diagnostics}`));
  if (failing.length) { area.setAttribute('aria-invalid', 'true'); area.setAttribute('aria-errormessage', 'tests-json-error'); }
  const results = work.testResults
    ? el('ul', { 'aria-label': 'Test results' }, work.tests.map((t, i) => {
      const failed = work.testResults.failed.find((f) => f.index === i);
      return el('li', { class: failed ? 'cond-false' : 'cond-true' }, `${failed ? 'Failed' : 'Passed'}: ${t.name}${failed ? ` — ${failed.text}` : ''}`);
    }))
    : el('p', { class: 'muted' }, `${work.tests.length} test${work.tests.length === 1 ? '' : 's'}; "Run tests" runs them on the draft without saving, and every save runs them all and refuses a rule set that fails one.`);
  const run = el('button', { type: 'button', id: 'run-tests' }, 'Run tests');
  const runOut = el('div', { 'aria-live': 'polite' });
  run.addEventListener('click', async () => {
    run.disabled = true;
    try {
      const { body } = await withLoading(runOut, api('/rules/run-tests', { method: 'POST', body: { rules: work.rules, tests: work.tests }, context: 'The test run' }));
      work.issues = [];
      work.testResults = { failed: body.tests.map((t, i) => ({ t, i })).filter(({ t }) => !t.passed).map(({ t, i }) => ({ index: Number(/^tests\[(\d+)\]$/.exec(t.path)?.[1] ?? i), text: t.difference })) };
      const summary = `Tests run on the draft (nothing saved): ${body.passed} passed, ${body.failed} failed.`;
      render(main, message(body.failed ? 'error' : 'ok', summary));
      announce(summary);
    } catch (error) {
      run.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 400) {
        work.issues = error.issues;
        render(main, message('error', `The tests did not run: the API found ${error.issues.length} problem${error.issues.length > 1 ? 's' : ''} in the draft, shown at their JSON path.`));
        return;
      }
      clear(runOut, message('error', error.sentence));
    }
  });
  const apply = el('button', { type: 'button' }, 'Apply tests to the draft');
  apply.addEventListener('click', () => {
    try {
      const parsed = JSON.parse(area.value);
      if (!Array.isArray(parsed)) throw new Error('the tests are a JSON list');
      work.tests = parsed; work.dirty = true;
      render(main, message('ok', 'Tests updated in the draft.'));
    } catch (error) {
      clear(local, el('div', { class: 'field-error', role: 'alert' }, `Not valid: ${error.message}`));
      area.focus();
    }
  });
  return el('section', { class: 'card', 'aria-labelledby': 'tests-title' },
    el('h2', { id: 'tests-title' }, 'Rule-set tests'), results,
    el('div', { class: 'row' }, run), runOut,
    el('details', {}, el('summary', {}, 'Edit the tests as JSON'), field('Tests as JSON', area), local, apply));
}

function saveBar(main) {
  const problem = el('div', { id: 'save-problem' });
  const save = el('button', { type: 'button', class: 'primary', id: 'save-rules' }, `Save as version ${Number(work.version) + 1}`);
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      const { body, etag } = await api('/rules', { method: 'PUT', body: { rules: work.rules, tests: work.tests }, headers: { 'If-Match': work.etag }, context: 'The save' });
      work = { version: body.version, etag, rules: body.rules || [], tests: body.tests || [], dirty: false, selected: work.selected, issues: [], testResults: { failed: [] } };
      render(main, message('ok', `Saved as version ${body.version}. All ${work.tests.length} tests passed.`));
      announce(`Saved as version ${body.version}.`);
    } catch (error) {
      save.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 412) {
        const reload = el('button', { type: 'button', onclick: () => { work = null; location.hash = '#/rules/reload'; } }, 'Reload the current version (drops your changes)');
        clear(problem, el('div', { class: 'message error', role: 'alert' },
          el('p', {}, `Not saved: someone else saved a new version of the rules after you loaded version ${work.version}. Your changes are still here. Reload to see their version, then make your changes again.`),
          reload));
        reload.focus();
        return;
      }
      if (error.status === 400 || error.status === 422) {
        work.issues = error.issues;
        if (error.status === 422) {
          work.testResults = { failed: error.issues.map((i) => ({ index: Number(/^tests\[(\d+)\]/.exec((i.expression || [])[0] || '')?.[1] ?? -1), text: i.diagnostics })) };
        }
        const first = error.issues.map((i) => /^rules\[(\d+)\]/.exec((i.expression || [])[0] || '')?.[1]).find((x) => x !== undefined);
        if (first !== undefined) work.selected = Number(first);
        render(main, message('error', error.status === 422
          ? `Not saved: ${error.issues.length} rule-set test${error.issues.length > 1 ? 's' : ''} failed. Fix the rules or the tests, then save again.`
          : `Not saved: the API found ${error.issues.length} problem${error.issues.length > 1 ? 's' : ''}, shown at their JSON path.`));
        return;
      }
      clear(problem, message('error', error.sentence));
    }
  });
  const discard = el('button', { type: 'button', onclick: () => { work = null; location.hash = '#/rules/reload'; } }, 'Discard changes');
  return el('section', { class: 'card', 'aria-label': 'Save' }, problem, el('div', { class: 'row' }, save, work.dirty ? discard : null));
}

function dryRunSection() {
  const area = el('textarea', { id: 'dry-claim', class: 'code', spellcheck: 'false' });
  const idInput = el('input', { id: 'dry-claim-id', type: 'text', size: '34', maxlength: '64', autocomplete: 'off', spellcheck: 'false' });
  const out = el('div', { 'aria-live': 'polite' });
  const run = el('button', { type: 'button' }, 'Dry-run against the draft');
  run.addEventListener('click', async () => {
    const claimId = idInput.value.trim();
    const pasted = area.value.trim();
    if (claimId && pasted) { clear(out, message('error', 'Either paste a claim or give a claim id, not both: clear one of them.')); idInput.focus(); return; }
    if (!claimId && !pasted) { clear(out, message('error', 'Paste a claim, or give the id of a claim of this tenant.')); area.focus(); return; }
    let request;
    if (claimId) {
      request = { claimId, rules: work.rules };
    } else {
      let claim;
      try { claim = JSON.parse(pasted); } catch (error) { clear(out, message('error', `The claim is not valid JSON: ${error.message}`)); area.focus(); return; }
      request = { claim, rules: work.rules };
    }
    try {
      const { body } = await withLoading(out, api('/rules/dry-run', { method: 'POST', body: request }));
      clear(out, el('dl', { class: 'facts' },
        claimId ? [el('dt', {}, 'Claim'), el('dd', {}, el('a', { href: `#/claims/${encodeURIComponent(claimId)}` }, claimId))] : null,
        el('dt', {}, 'Outcome'), el('dd', { id: 'dry-outcome' }, body.outcome),
        el('dt', {}, 'Held by'), el('dd', {}, body.heldBy ? `${body.heldBy.ruleId}: ${body.heldBy.reason || ''}` : '—'),
        el('dt', {}, 'Tags'), el('dd', {}, (body.tags || []).join(', ') || '—'),
        el('dt', {}, 'Risk'), el('dd', {}, body.risk ? String(body.risk.score) : '—'),
        el('dt', {}, 'Rules evaluated'), el('dd', {}, (body.trace || []).map((t) => `${t.ruleId} (${t.status}${t.branch ? `, ${t.branch}` : ''})`).join('; '))));
    } catch (error) {
      if (!(error instanceof ApiError)) { clear(out, message('error', String(error))); return; }
      const text = error.status === 404 && claimId
        ? `No claim ${claimId} in this tenant. Check the id (from the worklist or the claim's page).`
        : `${error.sentence}${error.issues.length ? ` ${error.issues.map((i) => `${(i.expression || []).join(', ')}: ${i.diagnostics}`).join(' ')}` : ''}`;
      clear(out, message('error', text));
    }
  });
  return el('section', { class: 'card', 'aria-labelledby': 'dry-title' },
    el('h2', { id: 'dry-title' }, 'Dry-run a claim'),
    field('FHIR Claim or Bundle (JSON)', area, 'Paste a claim; it runs under the draft above. Nothing is stored.'),
    field('Or the id of a stored claim', idInput, 'A claim of this tenant (32 hex digits); its document as received runs under the draft. Nothing is stored.'),
    run, out);
}

// ---- History ------------------------------------------------------------------------------------------------------

async function historyScreen(main) {
  const [{ body: list }, { body: current, etag }] = await withLoading(main, Promise.all([api('/rules/versions?pageSize=50'), api('/rules')]));
  const diffArea = el('div', { id: 'diff' });
  const problem = el('div');
  const rows = (list.versions || []).map((v) => el('tr', {},
    el('td', { 'data-label': 'Version' }, v.version),
    el('td', { 'data-label': 'Saved' }, time(v.savedAt)),
    el('td', { 'data-label': 'By' }, v.savedBy),
    el('td', { 'data-label': 'Rules / tests' }, `${v.ruleCount} / ${v.testCount}`),
    el('td', { 'data-label': 'Actions' }, el('div', { class: 'row' },
      el('button', { type: 'button', 'aria-label': `Compare version ${v.version} with the current one`, onclick: () => showDiff(v.version, current, diffArea) }, 'Compare'),
      v.version === current.version ? el('span', { class: 'muted' }, 'current')
        : el('button', { type: 'button', 'aria-label': `Restore version ${v.version}`, onclick: () => restore(v.version, etag, problem) }, 'Restore this version')))));
  clear(main,
    el('h1', { tabindex: '-1' }, 'Rule set history'),
    el('p', {}, el('a', { href: '#/rules' }, '← Back to the rules')),
    problem,
    el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', 'aria-label': 'Versions, newest first' },
      el('thead', {}, el('tr', {}, ['Version', 'Saved', 'By', 'Rules / tests', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))),
    diffArea);
  main.querySelector('h1').focus();
}

async function showDiff(version, current, area) {
  const { body: old } = await withLoading(area, api(`/rules/versions/${encodeURIComponent(version)}`));
  const strip = (d) => JSON.stringify({ rules: d.rules, tests: d.tests }, null, 2).split('\n');
  const [left, right] = diffLines(strip(old), strip(current));
  clear(area, el('section', { class: 'card', 'aria-labelledby': 'diff-title' },
    el('h2', { id: 'diff-title', tabindex: '-1' }, `Version ${version} (left) and the current version ${current.version} (right)`),
    el('div', { class: 'diff' },
      el('pre', { 'aria-label': `Version ${version}` }, left),
      el('pre', { 'aria-label': `Version ${current.version}` }, right))));
  area.querySelector('h2').focus();
}

// A line diff (longest common subsequence): removed lines marked on the left, added lines on the right.
function diffLines(a, b) {
  const n = a.length; const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const left = []; const right = [];
  let i = 0; let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { left.push(el('span', {}, `${a[i]}\n`)); right.push(el('span', {}, `${b[j]}\n`)); i++; j++; }
    else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) { right.push(el('span', { class: 'added' }, `+ ${b[j]}\n`)); j++; }
    else { left.push(el('span', { class: 'removed' }, `- ${a[i]}\n`)); i++; }
  }
  return [left, right];
}

async function restore(version, etag, problem) {
  clear(problem);
  try {
    const { body: old } = await api(`/rules/versions/${encodeURIComponent(version)}`);
    const { body } = await api('/rules', { method: 'PUT', body: { rules: old.rules, tests: old.tests }, headers: { 'If-Match': etag }, context: 'The restore' });
    work = null;
    announce(`Version ${version} restored as version ${body.version}.`);
    location.hash = '#/rules';
    setTimeout(() => {
      const main = document.getElementById('main');
      main.querySelector('h1')?.after(message('ok', `Version ${version} restored: it is now the current version ${body.version}.`));
    }, 300);
  } catch (error) {
    clear(problem, message('error', error instanceof ApiError
      ? (error.status === 412 ? 'Not restored: someone saved a new version since this page was loaded. Reload the page and restore again.' : `${error.sentence}`)
      : String(error)));
  }
}
