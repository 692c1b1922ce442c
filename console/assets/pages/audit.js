import { api } from '../api.js';
import { h, when } from '../dom.js';

/** The audit trail with the chain's verification result (admins and auditors). */
export async function renderAudit(main, { params }) {
  const after = Number(new URLSearchParams(location.search).get('after') ?? 0) || 0;
  const [verify, page] = await Promise.all([
    api('GET', '/v1/audit/verify'),
    api('GET', `/v1/audit?after=${after}&limit=200`),
  ]);
  void params;
  const result = verify.ok
    ? h(
        'p',
        { class: 'notice notice-ok', id: 'chain-result' },
        `Chain verified: ${verify.events} events, every hash links to the one before.`,
      )
    : h(
        'p',
        { class: 'notice notice-error', id: 'chain-result', role: 'alert' },
        `Chain broken at event ${verify.firstBrokenSeq}: the trail was altered.`,
      );
  main.replaceChildren(
    h('h1', {}, 'Audit trail'),
    result,
    h(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Audit events' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['#', 'When', 'Who', 'What', 'Request', 'Details'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          page.events.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, e.seq),
              h('td', {}, when(e.at)),
              h('td', {}, e.actor),
              h('td', {}, e.action),
              h(
                'td',
                {},
                e.requestId
                  ? h(
                      'a',
                      { href: `/requests/${encodeURIComponent(e.requestId)}`, 'data-link': true },
                      e.requestId.slice(0, 8),
                    )
                  : '—',
              ),
              h('td', { class: 'details' }, JSON.stringify(e.details)),
            ),
          ),
        ),
      ),
    ),
    page.nextAfter !== null ? h('p', {}, h('a', { href: `/audit?after=${page.nextAfter}` }, 'Later events')) : null,
  );
}
