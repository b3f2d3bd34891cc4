/**
 * The container user must not be root in any spelling, nor run with the root group: gid 0 opens
 * every root-group-readable or -writable file in the image and in binds. Each spelling is a case.
 */
import { describe, expect, it } from "vitest";
import { sandboxConfigSchema } from "../../src/index";

const ROOTISH = ["0", "0:0", "00", "0000000000", "0:1000", "1000:0", "1000:00", "65534:0"];

describe("root user or root group needs dangerouslyAllowRootUser", () => {
  for (const user of ROOTISH) {
    it(`refuses user "${user}"`, () => {
      expect(sandboxConfigSchema.safeParse({ docker: { user } }).success).toBe(false);
    });
    it(`accepts user "${user}" with the dangerous flag`, () => {
      expect(
        sandboxConfigSchema.safeParse({ docker: { user, dangerouslyAllowRootUser: true } }).success,
      ).toBe(true);
    });
  }
  for (const user of ["1000", "1000:1000", "65534:65534", "1:1"]) {
    it(`accepts user "${user}"`, () => {
      expect(sandboxConfigSchema.safeParse({ docker: { user } }).success).toBe(true);
    });
  }
});
