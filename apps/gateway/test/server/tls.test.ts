import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectGateway } from "../../src/client/client";
import { makeStateDir, startTestGateway, TOKEN } from "./helpers";

describe("TLS", () => {
  it("serves WSS and HTTPS with HSTS when gateway.tls is on", async () => {
    const stateDir = await makeStateDir();
    const dir = join(stateDir, "..");
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    const gw = await startTestGateway({
      stateDir,
      config: {
        gateway: {
          auth: { mode: "token", token: TOKEN },
          tls: { enabled: true, certPath, keyPath },
        },
      },
    });
    try {
      expect(gw.url).toMatch(/^wss:\/\/127\.0\.0\.1:/);
      const ca = await readFile(certPath);
      const client = await connectGateway({ url: gw.url, token: TOKEN, ca });
      await expect(client.request("health")).resolves.toMatchObject({ ok: true });
      await client.close();
      const { request } = await import("node:https");
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        request(`https://127.0.0.1:${gw.port}/healthz`, { ca }, (res) => {
          res.resume();
          resolve(res.headers);
        })
          .on("error", reject)
          .end();
      });
      expect(headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    } finally {
      await gw.stop();
    }
  });

  it("refuses to start when the certificate cannot be read", async () => {
    await expect(
      startTestGateway({
        config: {
          gateway: {
            auth: { mode: "token", token: TOKEN },
            tls: {
              enabled: true,
              certPath: "/nonexistent/cert.pem",
              keyPath: "/nonexistent/key.pem",
            },
          },
        },
      }),
    ).rejects.toMatchObject({ code: "GATEWAY_TLS_UNREADABLE" });
  });
});
