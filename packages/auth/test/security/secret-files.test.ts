/**
 * The stored gateway token and the device private key are only as secret as their files. A
 * planted symlink would make the gateway adopt a token (or key) the planter knows; a file or
 * directory others can read or write has leaked or can be swapped. Each case is refused with
 * AUTH_SECRET_FILE_INSECURE and the secret is never in the message. Real files in a temp dir.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createFakeClock, createSeededRandom } from "@claw/core/testing";
import { statePaths } from "@claw/state";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateDeviceIdentity } from "../../src/device-identity";
import { ensureGatewayToken, gatewayTokenPath } from "../../src/gateway-token";

const KNOWN = "ab".repeat(32);
let stateDir: string;
let outside: string;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "claw-auth-secret-files-"));
  outside = await mkdtemp(join(tmpdir(), "claw-auth-planted-"));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const options = () => ({ stateDir, clock: createFakeClock(), random: createSeededRandom(3) });
const tokenDoc = JSON.stringify({ version: 1, token: KNOWN, createdAtMs: 1 });

async function expectInsecure(run: () => Promise<unknown>) {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code: "AUTH_SECRET_FILE_INSECURE" });
  expect(String((error as Error).message)).not.toContain(KNOWN);
}

describe("gateway token file", () => {
  const file = () => gatewayTokenPath(stateDir);
  const prepare = async () => mkdir(dirname(file()), { recursive: true, mode: 0o700 });

  it("a symlink to a file the planter controls is refused", async () => {
    await prepare();
    const planted = join(outside, "token.json");
    await writeFile(planted, tokenDoc, { mode: 0o600 });
    await symlink(planted, file());
    await expectInsecure(() => ensureGatewayToken(options()));
  });

  it("a dangling symlink is refused (the token would be written where it points)", async () => {
    await prepare();
    await symlink(join(outside, "not-yet.json"), file());
    await expectInsecure(() => ensureGatewayToken(options()));
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o666])(
    "a token file with mode %o is refused",
    async (mode) => {
      await prepare();
      await writeFile(file(), tokenDoc, { mode: 0o600 });
      await chmod(file(), mode);
      await expectInsecure(() => ensureGatewayToken(options()));
    },
  );

  it.each([0o777, 0o770, 0o757])("a credentials dir with mode %o is refused", async (mode) => {
    await prepare();
    await writeFile(file(), tokenDoc, { mode: 0o600 });
    await chmod(dirname(file()), mode);
    await expectInsecure(() => ensureGatewayToken(options()));
  });

  it("a directory where the file should be is refused", async () => {
    await mkdir(file(), { recursive: true, mode: 0o700 });
    await expectInsecure(() => ensureGatewayToken(options()));
  });

  it("a private 0600 file in a 0700 dir is used", async () => {
    await prepare();
    await writeFile(file(), tokenDoc, { mode: 0o600 });
    expect(await ensureGatewayToken(options())).toMatchObject({ token: KNOWN, created: false });
  });
});

describe("device identity file", () => {
  const file = () => statePaths(stateDir).deviceIdentity;

  it("a symlink to a key pair the planter holds is refused", async () => {
    const first = await loadOrCreateDeviceIdentity(options());
    const planted = join(outside, "device.json");
    await writeFile(planted, await readFile(file(), "utf8"), { mode: 0o600 });
    await rm(file());
    await symlink(planted, file());
    const error = await loadOrCreateDeviceIdentity(options()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "AUTH_SECRET_FILE_INSECURE" });
    expect(String((error as Error).message)).not.toContain(first.privateKeyPem.slice(40, 80));
  });

  it("a world-readable key file is refused", async () => {
    await loadOrCreateDeviceIdentity(options());
    await chmod(file(), 0o644);
    await expectInsecure(() => loadOrCreateDeviceIdentity(options()));
  });
});
