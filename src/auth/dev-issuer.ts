/** The local dev token issuer (devstack/dev-identity.ts). Production configuration refuses it. */
export const DEV_ISSUER = 'https://breakglass.dev.local/issuer';
export const DEV_AUDIENCE = 'api://breakglass-dev';
