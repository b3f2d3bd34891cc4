/**
 * The root config schema, assembled from the section schemas each package owns.
 *
 * ADDING A SECTION: one import and one line in the matching table below — nothing else. Import a
 * package's schemas from its `/config` subpath (its schemas and pure config checks only): the
 * package index would put the whole package — fetch clients, engines, their node builtins — on
 * the load path of every command that reads the config. Keep each table alphabetical. The section
 * schema must be strict and apply its own defaults (`.prefault({})` for objects), so a missing
 * section validates to its hardened default. Re-read this file right
 * before editing it: every package edits it.
 *
 * Sections and their owners (see the README's table):
 *   root keys: meta, logging, agents (@claw/config) · gateway (@claw/auth) · channels, session,
 *   bindings (@claw/channels-core) · hooks (@claw/config, sections/hooks.ts: the gateway webhook endpoint) · models (@claw/config, sections/models.ts: the gateway's model providers and agent loop) · plugins (@claw/config, sections/plugins.ts: npm packages the gateway loads channel adapters from) · tools (@claw/tool-policy) with tools.web (@claw/egress)
 *   agents.defaults: sandbox (@claw/sandbox)
 *   agents.list[]: tools (@claw/tool-policy), sandbox (@claw/sandbox), groupChat (@claw/channels-core)
 */
import { gatewayConfigSchema } from "@claw/auth/config";
import {
  bindingsConfigSchema,
  channelsConfigSchema,
  groupChatConfigSchema,
  sessionConfigSchema,
} from "@claw/channels-core/config";
import { webToolsConfigSchema } from "@claw/egress/config";
import { agentSandboxConfigSchema, sandboxConfigSchema } from "@claw/sandbox/config";
import { agentToolsConfigSchema, toolsConfigObjectSchema } from "@claw/tool-policy/config";
import * as z from "zod";
import { createAgentsConfigSchema } from "./sections/agents";
import { hooksConfigSchema } from "./sections/hooks";
import { loggingConfigSchema } from "./sections/logging";
import { metaConfigSchema } from "./sections/meta";
// `models`: apps-level (the gateway's providers and agent loop), no package owns it; see the file.
import { modelsConfigSchema } from "./sections/models";
import { pluginsConfigSchema } from "./sections/plugins";

/** Keys of `agents.defaults` owned by other packages, e.g. `sandbox: sandboxConfigSchema,`. */
const agentDefaultsSections = {
  sandbox: sandboxConfigSchema.prefault({}),
};

/** Keys of every `agents.list[]` entry owned by other packages, e.g. `tools: agentToolsConfigSchema,`. */
const agentEntrySections = {
  groupChat: groupChatConfigSchema,
  sandbox: agentSandboxConfigSchema.optional(),
  tools: agentToolsConfigSchema,
};

/** Root keys: one line per section. */
const rootSections = {
  agents: createAgentsConfigSchema({ defaults: agentDefaultsSections, entry: agentEntrySections }),
  bindings: bindingsConfigSchema,
  channels: channelsConfigSchema,
  gateway: gatewayConfigSchema.prefault({}),
  hooks: hooksConfigSchema,
  logging: loggingConfigSchema,
  meta: metaConfigSchema,
  models: modelsConfigSchema,
  plugins: pluginsConfigSchema,
  session: sessionConfigSchema,
  tools: toolsConfigObjectSchema.extend({ web: webToolsConfigSchema.prefault({}) }).prefault({}),
};

export const rootConfigSchema = z.strictObject(rootSections);

/** The validated config with every default applied: what the gateway runs on. */
export type ClawConfig = z.output<typeof rootConfigSchema>;
/** What a config file may contain (after `$include` and `${VAR}`). */
export type ClawConfigInput = z.input<typeof rootConfigSchema>;
/** `agents` with every default applied, including the sub-sections other packages add. */
export type AgentsConfig = ClawConfig["agents"];
