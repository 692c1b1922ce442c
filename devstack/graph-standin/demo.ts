import { DEMO } from '../../src/accounts/seed-demo';
import { GraphStandin } from './server';

/**
 * Dev mode's Graph: the stand-in with a demo tenant in which the demo account passes every drift
 * check. `POST {url}/_standin/signins` with `{}` (or `{"errorCode": 50126}`) injects a sign-in of it.
 */
export async function startDemoGraph(
  port = Number(process.env.GRAPH_STANDIN_PORT ?? 0),
): Promise<{ url: string; standin: GraphStandin; close(): Promise<void> }> {
  const standin = new GraphStandin();
  standin.addUser(DEMO.entraObjectId, 'breakglass-demo@contoso.onmicrosoft.com');
  await standin.start(port);
  return { url: standin.url, standin, close: () => standin.stop() };
}
