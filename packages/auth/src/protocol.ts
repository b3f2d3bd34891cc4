/**
 * The gateway's WebSocket wire protocol, one owner for server, CLI, benches and probes: version,
 * scopes and roles, frame shapes, the `connect` params schema and the one `connect` frame builder.
 * No Node imports (the audit probe and browser clients load it).
 */
import * as z from "zod";
import type { DeviceAuthFields } from "./device-payload";

/** The protocol version this gateway speaks; clients send the range they accept. */
export const PROTOCOL_VERSION = 1;

export const OPERATOR_SCOPES = [
  "operator.read",
  "operator.write",
  "operator.approvals",
  "operator.pairing",
  "operator.admin",
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

export const ROLES = ["operator", "node"] as const;
export type Role = (typeof ROLES)[number];

/** `operator.admin` holds every other scope. */
export function hasScope(granted: ReadonlySet<OperatorScope>, needed: OperatorScope): boolean {
  return granted.has(needed) || granted.has("operator.admin");
}

const frameId = z.union([z.string().min(1).max(128), z.int().min(0).max(Number.MAX_SAFE_INTEGER)]);
export type FrameId = z.output<typeof frameId>;

/** The only frame a client sends. */
export const requestFrameSchema = z.strictObject({
  type: z.literal("req"),
  id: frameId,
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
});
export type RequestFrame = z.output<typeof requestFrameSchema>;

export interface ErrorBody {
  readonly code: string;
  /** Says what to do; never a stack trace, never a secret. */
  readonly message: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

export type ResponseFrame =
  | {
      readonly type: "res";
      readonly id: FrameId | null;
      readonly ok: true;
      readonly payload: unknown;
    }
  | {
      readonly type: "res";
      readonly id: FrameId | null;
      readonly ok: false;
      readonly error: ErrorBody;
    };

export interface EventFrame {
  readonly type: "event";
  readonly event: string;
  readonly payload: unknown;
  readonly seq: number;
}

const token = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "1-128 characters of [A-Za-z0-9._:@-]");

export const connectParamsSchema = z
  .strictObject({
    minProtocol: z.int().min(1).max(1000),
    maxProtocol: z.int().min(1).max(1000),
    client: z.strictObject({
      id: token,
      version: z.string().min(1).max(64),
      platform: z.string().min(1).max(64).optional(),
      mode: z.string().min(1).max(64).optional(),
    }),
    role: z.enum(ROLES),
    scopes: z
      .array(z.enum(OPERATOR_SCOPES))
      .max(OPERATOR_SCOPES.length * 2)
      .default([]),
    auth: z
      .strictObject({
        token: z.string().min(1).max(4096).optional(),
        password: z.string().min(1).max(4096).optional(),
      })
      .optional(),
    device: z
      .strictObject({
        deviceId: z.string().min(1).max(128),
        publicKey: z.string().min(1).max(128),
        signature: z.string().min(1).max(256),
        signedAtMs: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
        nonce: z.string().min(1).max(256),
      })
      .optional(),
  })
  .refine((p) => p.minProtocol <= p.maxProtocol, {
    message: "minProtocol must not exceed maxProtocol",
    path: ["maxProtocol"],
  });
export type ConnectParams = z.output<typeof connectParamsSchema>;

/** A device identity answering the challenge; the builder signs exactly the fields it sends. */
export interface ConnectDevice {
  readonly deviceId: string;
  readonly publicKey: string;
  readonly signedAtMs: number;
  /** The server's `connect.challenge` nonce. */
  readonly nonce: string;
  /** Signs the canonical payload: `signDeviceAuth` (Node) or `signDevicePayload` (browser). */
  readonly sign: (fields: DeviceAuthFields) => string;
}

export interface ConnectFrameOptions {
  readonly id: FrameId;
  readonly client: { readonly id: string; readonly version: string };
  /** Default: this version, both ends. */
  readonly minProtocol?: number;
  readonly maxProtocol?: number;
  /** Default `operator`. */
  readonly role?: Role;
  /** Default none. */
  readonly scopes?: readonly OperatorScope[];
  /** Left out when it holds no credential (the upgrade's Bearer header may carry it instead). */
  readonly auth?: { readonly token?: string; readonly password?: string } | undefined;
  readonly device?: ConnectDevice | undefined;
}

export interface ConnectFrame {
  readonly type: "req";
  readonly id: FrameId;
  readonly method: "connect";
  readonly params: z.input<typeof connectParamsSchema>;
}

/** The client's first request; send it as JSON after the `connect.challenge` event. */
export function buildConnectFrame(options: ConnectFrameOptions): ConnectFrame {
  const role = options.role ?? "operator";
  const scopes = [...(options.scopes ?? [])];
  const { token, password } = options.auth ?? {};
  const device = options.device;
  return {
    type: "req",
    id: options.id,
    method: "connect",
    params: {
      minProtocol: options.minProtocol ?? PROTOCOL_VERSION,
      maxProtocol: options.maxProtocol ?? PROTOCOL_VERSION,
      client: { id: options.client.id, version: options.client.version },
      role,
      scopes,
      ...(token || password
        ? { auth: { ...(token ? { token } : {}), ...(password ? { password } : {}) } }
        : {}),
      ...(device
        ? {
            device: {
              deviceId: device.deviceId,
              publicKey: device.publicKey,
              signedAtMs: device.signedAtMs,
              nonce: device.nonce,
              signature: device.sign({
                deviceId: device.deviceId,
                clientId: options.client.id,
                role,
                scopes,
                signedAtMs: device.signedAtMs,
                nonce: device.nonce,
              }),
            },
          }
        : {}),
    },
  };
}

/** Validation issues as safe data: where and what, never the received value. */
export function describeZodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message.slice(0, 200),
  }));
}
