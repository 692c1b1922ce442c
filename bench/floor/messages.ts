import { defineUpdate } from '@temporalio/workflow';

/** The floor workflow's one Update, shared by its workflow and the bench's client. */
export const floorStep = defineUpdate<number, [string]>('floorStep');
