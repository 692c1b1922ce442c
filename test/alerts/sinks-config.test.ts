import t from 'tap';
import { ConfigError, parseConfig } from '../../src/config';
import { configuredSinks, PAGERDUTY_EVENTS_URL, redact, sinkId } from '../../src/alerts/sinks';

/** ALERT_SINKS: one validated JSON variable; ALERT_WEBHOOK_URLS keeps working as generic sinks; secrets never echoed. */

const GOOD = {
  DATABASE_URL: 'postgres://bg:pw@db.internal:5432/bg',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  KEYVAULT_URL: 'https://contoso-bg.vault.azure.net',
  AUTH_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
  AUTH_AUDIENCE: '11111111-2222-3333-4444-555555555555',
  AUTH_JWKS_URL: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/discovery/v2.0/keys',
};
const SLACK = 'https://hooks.slack.com/services/T0001/B0001/Zq3SecretToken';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function refusal(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'accepted';
}

void t.test('ALERT_SINKS with each format, defaults per format, and ALERT_WEBHOOK_URLS beside them', async (t) => {
  const config = parseConfig({
    ...GOOD,
    ALERT_WEBHOOK_URLS: 'https://siem.internal/hook',
    ALERT_SINKS: JSON.stringify([
      { name: 'siem', format: 'generic', url: 'https://siem.internal/bg', secret: SECRET },
      { name: 'ops', format: 'slack', url: SLACK },
      {
        name: 'sec',
        format: 'teams',
        url: 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x',
        minSeverity: 'critical',
      },
      { name: 'pager', format: 'pagerduty', routingKey: 'R0UT1NGKEY' },
    ]),
    CONSOLE_URL: 'https://breakglass.contoso.com',
  });
  const sinks = configuredSinks(config);
  t.same(
    [...sinks.keys()],
    ['siem', 'ops', 'sec', 'pager', sinkId('https://siem.internal/hook')],
    'named sinks by name, URL sinks by digest',
  );
  t.match(sinks.get('ops'), { format: 'slack', minSeverity: 'warning' });
  t.match(sinks.get('pager'), {
    format: 'pagerduty',
    url: PAGERDUTY_EVENTS_URL,
    minSeverity: 'critical',
    routingKey: 'R0UT1NGKEY',
  });
  t.match(sinks.get(sinkId('https://siem.internal/hook')), {
    format: 'generic',
    minSeverity: 'info',
    url: 'https://siem.internal/hook',
  });
  t.equal(config.ALERT_FAILING_AFTER, 'PT15M');
  t.equal(config.AUDIT_CHECKPOINT_EVERY, 'P1D');
  t.equal(config.CONSOLE_URL, 'https://breakglass.contoso.com');
  t.equal(
    redact(`POST ${SLACK} failed`, sinks.get('ops')!),
    'POST [redacted] failed',
    'a sink URL is scrubbed from messages',
  );
});

void t.test('bad sinks are refused with where and what, never the value', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', `[{"name":"ops","url":"${SLACK}"`, /ALERT_SINKS has an invalid value; it wants a JSON array of sinks/],
    [
      'unknown format',
      [{ name: 'ops', format: 'discord', url: SLACK }],
      /ALERT_SINKS has an invalid value at 0\.format/,
    ],
    ['no URL', [{ name: 'ops', format: 'slack' }], /at 0\.url/],
    ['ftp URL', [{ name: 'ops', format: 'teams', url: 'ftp://x/y' }], /at 0\.url; it wants an http\(s\) URL/],
    ['pagerduty without routing key', [{ name: 'pager', format: 'pagerduty' }], /at 0\.routingKey/],
    [
      'bad severity',
      [{ name: 'ops', format: 'slack', url: SLACK, minSeverity: 'urgent' }],
      /at 0\.minSeverity; it wants info, warning, high or critical/,
    ],
    [
      'weak secret',
      [{ name: 'siem', format: 'generic', url: 'https://siem/x', secret: 'whsec_short' }],
      /at 0\.secret; it wants a whsec_ base64 secret/,
    ],
    ['unknown field', [{ name: 'ops', format: 'slack', url: SLACK, token: 'x' }], /ALERT_SINKS has an invalid value/],
    [
      'duplicate names',
      [
        { name: 'ops', format: 'slack', url: SLACK },
        { name: 'ops', format: 'teams', url: 'https://t/x' },
      ],
      /unique sink names/,
    ],
  ];
  for (const [label, value, message] of cases) {
    const text = refusal({ ...GOOD, ALERT_SINKS: typeof value === 'string' ? value : JSON.stringify(value) });
    t.match(text, message, label);
    t.notMatch(text, /Zq3SecretToken|whsec_short/, `${label}: the value is not echoed`);
  }
  t.match(
    refusal({ ...GOOD, ALERT_FAILING_AFTER: '15 minutes' }),
    /ALERT_FAILING_AFTER is "15 minutes"; it wants an ISO-8601 duration/,
  );
  t.match(
    refusal({ ...GOOD, CONSOLE_URL: 'breakglass.contoso.com' }),
    /CONSOLE_URL .* it wants the http\(s\) URL of the console/,
  );
});

void t.test('production wants https sinks, and ALERT_SINKS alone is enough', async (t) => {
  const PROD = { ...GOOD, NODE_ENV: 'production' };
  t.equal(
    refusal({ ...PROD, ALERT_SINKS: JSON.stringify([{ name: 'pager', format: 'pagerduty', routingKey: 'k' }]) }),
    'accepted',
  );
  t.match(
    refusal({
      ...PROD,
      ALERT_SINKS: JSON.stringify([{ name: 'ops', format: 'slack', url: 'http://hooks.internal/x' }]),
    }),
    /ALERT_SINKS wants https:\/\/ URLs/,
  );
  t.match(refusal(PROD), /ALERT_WEBHOOK_URLS or ALERT_SINKS wants at least one webhook/);
});
