import * as z from "zod";
import { defineMethod, type MethodDefinition } from "./define";

export const auditMethods: Readonly<Record<string, MethodDefinition>> = {
  // The security audit, read-only: fixes are applied with `claw security audit --fix` on the host.
  "audit.run": defineMethod({
    scope: "operator.admin",
    params: z.strictObject({ scanSecrets: z.boolean().default(true) }).optional(),
    handler: async (params, services) => {
      const { runAudit } = await import("@claw/audit");
      const loaded = await services.loadConfig();
      const report = await runAudit({
        config: loaded.config,
        raw: loaded.raw,
        configFiles: loaded.files,
        configPath: loaded.path,
        secretValues: loaded.secretValues,
        stateDir: services.stateDir,
        env: services.env,
        fix: false,
        scanSecrets: params?.scanSecrets ?? true,
      });
      return services.redactor.redact(report, "tool");
    },
  }),
};
