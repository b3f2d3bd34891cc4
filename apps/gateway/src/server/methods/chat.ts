import { gatewayErrors } from "../errors";
import { chatClientId, chatSendParamsSchema } from "./chat-service";
import { defineMethod, type MethodDefinition } from "./define";

/** `chat.send`: the operator talks to an agent; the reply streams as chat events. */
export const chatMethods: Readonly<Record<string, MethodDefinition>> = {
  "chat.send": defineMethod({
    scope: "operator.write",
    params: chatSendParamsSchema,
    handler: async (params, services, caller) => {
      if (services.chat === undefined) {
        throw gatewayErrors.error("CHAT_UNAVAILABLE", "This gateway runs no agent runtime.");
      }
      return services.chat.send(params, {
        clientId: chatClientId(caller),
      });
    },
  }),
};
