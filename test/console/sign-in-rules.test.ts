import t from 'tap';
import { consolePrincipal, safeReturnTo } from '../../src/console/principal';

const ISSUER = 'https://login.microsoftonline.com/tid/v2.0';
const OTHER = 'https://partner.example.com';
const config = {
  AUTH_ISSUER: ISSUER,
  AUTH_AUDIENCE: 'api-client-id',
  AUTH_ISSUERS: [
    {
      issuer: OTHER,
      audience: 'partner-api',
      jwksUrl: 'https://partner.example.com/jwks',
      principal: 'mapping' as const,
    },
  ],
  OIDC_CLIENT_ID: 'api-client-id',
} as unknown as Parameters<typeof consolePrincipal>[0];
const admin = { issuer: ISSUER, subject: 'sub-1', principal: 'oid-1', roles: ['BreakGlass.Admin'] };
const mappings = async (issuer: string, subject: string) =>
  issuer === OTHER && subject === 'partner-7' ? 'mapped-principal' : null;

void t.test('a sign-in returns only to a console page, never elsewhere nor into a sign-in route', async (t) => {
  t.equal(safeReturnTo('/requests/6f1c2a3e'), '/requests/6f1c2a3e');
  t.equal(safeReturnTo('/'), '/');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', '/auth/login', '/auth/callback', 42])
    t.equal(safeReturnTo(bad), '/', `refused: ${String(bad)}`);
});

void t.test("the ID token's roles count only when the console is the API's own app registration", async (t) => {
  t.same(await consolePrincipal(config, admin, mappings), { id: 'oid-1', roles: ['BreakGlass.Admin'] }, 'same app');
  t.same(
    await consolePrincipal({ ...config, AUTH_AUDIENCE: 'api://api-client-id' }, admin, mappings),
    { id: 'oid-1', roles: ['BreakGlass.Admin'] },
    'the api:// form of the same app',
  );
  t.same(
    await consolePrincipal({ ...config, OIDC_CLIENT_ID: 'console-app' }, admin, mappings),
    { id: 'oid-1', roles: [] },
    "another registration: the person, without that registration's roles",
  );
  t.same(
    await consolePrincipal(
      config,
      { issuer: OTHER, subject: 'partner-7', principal: 'x', roles: ['BreakGlass.Admin'] },
      mappings,
    ),
    { id: 'mapped-principal', roles: [] },
    "a further issuer: the admin's mapping, never its roles",
  );
  t.equal(
    await consolePrincipal(config, { issuer: OTHER, subject: 'nobody', principal: 'x', roles: [] }, mappings),
    null,
    'unmapped: no principal',
  );
});
