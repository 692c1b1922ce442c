import type { AlertContent } from '../message';
import { actionOf, factsOf, titleOf } from '../message';

const COLOR = { critical: 'Attention', high: 'Attention', warning: 'Warning', info: 'Default' } as const;

/**
 * A Teams Workflows (Power Automate) webhook message carrying one Adaptive Card: the envelope of
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
 * which the "Post to a channel when a webhook request is received" workflow posts as is.
 */
export function teamsBody(alert: AlertContent) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'TextBlock',
              text: titleOf(alert.type),
              weight: 'Bolder',
              size: 'Medium',
              color: COLOR[alert.severity],
              wrap: true,
            },
            { type: 'TextBlock', text: alert.summary, wrap: true },
            { type: 'FactSet', facts: factsOf(alert) },
          ],
          actions: alert.link ? [{ type: 'Action.OpenUrl', title: actionOf(alert.type), url: alert.link }] : [],
        },
      },
    ],
  };
}
