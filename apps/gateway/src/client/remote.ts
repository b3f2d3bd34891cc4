import type { OperatorScope } from "@claw/auth/protocol";
import { ClawError, type ErrorCategory } from "@claw/core";
import type { CliContext } from "../cli/context";
import { type GlobalPathOptions, resolveCliPaths } from "../cli/paths";
import { GatewayRequestError } from "./client";
import { resolveGatewayTarget, tryConnectRunningGateway } from "./target";

function categoryOf(code: string, retryable: boolean): ErrorCategory {
  if (code.startsWith("AUTH_") || code === "SCOPE_DENIED") return "auth";
  return retryable ? "io" : "input";
}

/**
 * Runs one method on the running gateway of this state dir, or returns undefined when none answers
 * (or it cannot be reached with the stored credential): the caller then does the same work on the
 * store files, under the same locks, with the same result. An error the gateway answers with is
 * thrown as a ClawError with the gateway's code.
 */
export async function callRunningGateway<T>(
  ctx: CliContext,
  globals: GlobalPathOptions,
  scope: OperatorScope,
  method: string,
  params: unknown,
): Promise<T | undefined> {
  let client: Awaited<ReturnType<typeof tryConnectRunningGateway>>;
  try {
    const target = await resolveGatewayTarget({ env: ctx.env, ...resolveCliPaths(ctx, globals) });
    client = target && (await tryConnectRunningGateway(target, [scope], { clientId: "claw-cli" }));
  } catch {
    return undefined;
  }
  if (client === undefined) return undefined;
  try {
    return await client.request<T>(method, params);
  } catch (error) {
    if (error instanceof GatewayRequestError) {
      throw new ClawError(
        error.code,
        categoryOf(error.code, error.body.retryable),
        error.body.message,
      );
    }
    throw error;
  } finally {
    await client.close();
  }
}
