import * as z from "zod";

/** `meta`: bookkeeping written by tools that edit the config; never read for decisions. */
export const metaConfigSchema = z
  .strictObject({
    /** The Claw version that last wrote this file. */
    lastTouchedVersion: z.string().min(1).max(64).optional(),
    /** When that happened, as an ISO 8601 timestamp. */
    lastTouchedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .prefault({});

export type MetaConfig = z.output<typeof metaConfigSchema>;
