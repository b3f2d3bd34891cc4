/** Every method, its scope and its params. `connect` is handled by the server itself (ws/connect.ts). */
import { approvalMethods } from "./approvals";
import { auditMethods } from "./audit";
import { chatMethods } from "./chat";
import { configMethods } from "./config";
import { defineMethod, type MethodDefinition, noParams } from "./define";
import { pairingMethods } from "./pairing";
import { sessionMethods } from "./sessions";

export type { MethodCaller, MethodDefinition, MethodServices, TranscriptReader } from "./define";

const gatewayMethods: Readonly<Record<string, MethodDefinition>> = {
  health: defineMethod({
    scope: "operator.read",
    params: noParams,
    handler: async (_params, services) => ({ ok: true, now: services.clock.now() }),
  }),
  status: defineMethod({
    scope: "operator.read",
    params: noParams,
    handler: async (_params, services) => services.status(),
  }),
};

export const METHODS: Readonly<Record<string, MethodDefinition>> = {
  ...chatMethods,
  ...gatewayMethods,
  ...sessionMethods,
  ...pairingMethods,
  ...approvalMethods,
  ...auditMethods,
  ...configMethods,
};

export const METHOD_NAMES: readonly string[] = Object.keys(METHODS);
