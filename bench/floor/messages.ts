import { defineUpdate } from '@temporalio/workflow';

/** The floor workflow's Updates, shared by its workflow and the bench's client. */
export const floorStep = defineUpdate<number, [string]>('floorStep');
/** Sent with the start (update-with-start), as our creation is: answers once the start's no-op activity ran. */
export const floorCreated = defineUpdate<boolean, []>('floorCreated');
