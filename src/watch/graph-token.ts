import { DefaultAzureCredential } from '@azure/identity';
import type { TokenProvider } from './graph-client';

/** The fixed token the local Graph stand-in accepts (dev and test only; production refuses it). */
export const STANDIN_TOKEN = 'graph-standin-token';

/**
 * Production: the service's managed identity (or any DefaultAzureCredential source) with the
 * application permissions listed in the README, for the `.default` scope of the Graph origin.
 */
export function graphTokenProvider(config: {
  GRAPH_URL: string;
  GRAPH_CREDENTIAL: 'managed' | 'standin';
}): TokenProvider {
  if (config.GRAPH_CREDENTIAL === 'standin') return () => Promise.resolve(STANDIN_TOKEN);
  const credential = new DefaultAzureCredential();
  const scope = `${new URL(config.GRAPH_URL).origin}/.default`;
  return async () => {
    const token = await credential.getToken(scope);
    if (!token) throw new Error(`no token for ${scope}`);
    return token.token;
  };
}
