// The clearinghouse (X12 submitter) profile (docs/CONSOLE.md "Clearinghouse", docs/X12.md "Integration"): the
// current profile, an editor for it as JSON with the API's 400/422 issues shown at their JSON paths, and the save with
// the version's ETag (412 explained, with a reload). Version 0 is "no profile yet": the empty state says what to do.
import { api, ApiError, errorText, issueText } from './api.js';
import { el, clear, withLoading, message, announce, field, heading, focusHeading } from './dom.js';

// The fields the API requires (docs/X12.md); a first profile starts from them, empty, to be filled in.
const REQUIRED = ['senderId', 'receiverId', 'submitterName', 'submitterId', 'contactName', 'contactPhone', 'receiverName'];

const formats = {
  'fhir-bundle': 'FHIR bundle only (no 837P files)',
  'x12-837p': '837P files to the clearinghouse',
  both: 'both the FHIR bundle and the 837P file',
};

export async function x12Screen(main) {
  const { body, etag } = await withLoading(main, api('/x12/profile'));
  const version = (etag || '"0"').replace(/^W\//, '').replace(/"/g, '');
  const hasProfile = version !== '0' && typeof body.senderId === 'string';
  render(main, { body, etag, version, hasProfile });
}

function render(main, state, notice) {
  const { body, version, hasProfile } = state;
  const draft = hasProfile ? body : { outboundFormat: 'x12-837p', ...Object.fromEntries(REQUIRED.map((k) => [k, ''])) };
  const area = el('textarea', { id: 'x12-json', class: 'code', spellcheck: 'false' });
  area.value = JSON.stringify(draft, null, 2);
  const local = el('div', { id: 'x12-json-error' });
  const problem = el('div', { id: 'x12-save-problem' });
  const save = el('button', { type: 'button', class: 'primary', id: 'x12-save' }, hasProfile ? `Save as version ${Number(version) + 1}` : 'Save the first profile');

  save.addEventListener('click', async () => {
    let parsed;
    try {
      parsed = JSON.parse(area.value);
    } catch (error) {
      clear(local, el('div', { class: 'field-error', role: 'alert' }, `Not valid JSON: ${error.message}. Nothing was sent.`));
      clear(problem);
      area.setAttribute('aria-invalid', 'true');
      area.setAttribute('aria-errormessage', 'x12-json-error');
      area.focus();
      return;
    }
    save.disabled = true;
    try {
      const { body: saved, etag } = await api('/x12/profile', { method: 'PUT', body: parsed, headers: { 'If-Match': state.etag }, context: 'The save' });
      const savedVersion = (etag || '').replace(/"/g, '');
      render(main, { body: saved, etag, version: savedVersion, hasProfile: true },
        message('ok', `Saved as version ${savedVersion}. Claims held for the profile ("SubmitterProfile") can now be released with "reevaluate".`));
      announce(`Profile saved as version ${savedVersion}.`);
      document.getElementById('x12-json')?.focus();
    } catch (error) {
      save.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 412) {
        const reload = el('button', { type: 'button', onclick: () => x12Screen(main) }, 'Reload the current profile (drops your changes)');
        clear(local);
        clear(problem, el('div', { class: 'message error', role: 'alert' },
          el('p', {}, `Not saved: someone else saved the profile after you loaded version ${version}. Your changes are still in the editor. Reload to see their version, then make your changes again.`),
          reload));
        reload.focus();
        return;
      }
      if ((error.status === 400 || error.status === 422) && error.issues.length) {
        area.setAttribute('aria-invalid', 'true');
        area.setAttribute('aria-errormessage', 'x12-json-error');
        clear(local, el('ul', { class: 'issues', 'aria-label': 'Problems at their JSON paths' },
          [...error.issues].sort((a, b) => String((a.expression || [''])[0]).localeCompare(String((b.expression || [''])[0])))
            .map((i) => el('li', { class: 'field-error', 'data-path': (i.expression || [])[0] || '' }, issueText(i)))));
        clear(problem, message('error', `Not saved: the API found ${error.issues.length} problem${error.issues.length > 1 ? 's' : ''}, listed under the editor at their JSON path.`));
        area.focus();
        return;
      }
      clear(problem, message('error', errorText(error)));
    }
  });

  const current = hasProfile
    ? el('section', { class: 'card', 'aria-labelledby': 'x12-current' },
      el('h2', { id: 'x12-current' }, `Current profile — version ${version}`),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Claims go out as'), el('dd', { id: 'x12-format' }, formats[body.outboundFormat] || body.outboundFormat),
        el('dt', {}, 'Sender (ISA06)'), el('dd', {}, `${body.senderQualifier}:${body.senderId}`),
        el('dt', {}, 'Receiver (ISA08)'), el('dd', {}, `${body.receiverQualifier}:${body.receiverId} — ${body.receiverName}`),
        el('dt', {}, 'Submitter'), el('dd', {}, `${body.submitterName} (${body.submitterId})`),
        el('dt', {}, 'Contact'), el('dd', {}, [body.contactName, body.contactPhone, body.contactEmail].filter(Boolean).join(', ')),
        el('dt', {}, 'Mode'), el('dd', {}, body.testIndicator ? 'Test (ISA15 T)' : 'Production (ISA15 P)')))
    : el('div', { class: 'empty', id: 'x12-empty' },
      el('p', {}, `No clearinghouse profile yet: claims go out as ${formats[body.outboundFormat] || body.outboundFormat}.`),
      el('p', {}, 'To send 837P files, fill in the required fields below (the sender and receiver ids your clearinghouse gave you, the submitter and a contact) and save. Claims held for "SubmitterProfile" can then be released with "reevaluate".'));

  clear(main, heading('Clearinghouse (X12 profile)'),
    el('p', { class: 'muted' }, 'The outbound format and the submitter profile the 837P files are written with (docs/X12.md).'),
    notice || null,
    current,
    el('section', { class: 'card', 'aria-labelledby': 'x12-edit' },
      el('h2', { id: 'x12-edit' }, hasProfile ? 'Edit the profile' : 'Create the profile'),
      field('Profile as JSON', area, 'outboundFormat is fhir-bundle, x12-837p or both. Problems the API finds are listed under the editor at their JSON path (for example billingProviderAddress.state).'),
      local,
      problem,
      el('div', { class: 'row' }, save)));
  focusHeading(main);
}
