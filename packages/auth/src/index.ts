export {
  type AuthContext,
  type AuthFailureCode,
  type AuthMethod,
  type AuthRequest,
  type AuthResult,
  authenticate,
  type CompiledAuth,
  compileAuth,
  isSecureRequest,
} from "./authenticate";
export {
  type AddressSet,
  type ClientAddress,
  type ClientAddressOptions,
  compileAddressSet,
  isLoopbackIp,
  normalizeIp,
  type RequestHeaders,
  resolveClientAddress,
} from "./client-address";
export {
  AUTH_MODES,
  type AuthMode,
  BIND_MODES,
  type BindMode,
  type ConfigProblem,
  checkGatewaySecrets,
  GATEWAY_DEFAULT_PORT,
  type GatewayAuthConfig,
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  type RateLimitConfig,
  rateLimitConfigSchema,
  resolveAuthMode,
  TAILSCALE_MODES,
  type TailscaleMode,
  type TrustedProxyAuthConfig,
} from "./config-schema";
export {
  createDeviceIdentity,
  createNonceStore,
  DEVICE_SIGNATURE_MAX_SKEW_MS,
  type DeviceIdentity,
  type DeviceProof,
  type DeviceVerification,
  type DeviceVerifyCode,
  deriveDeviceId,
  loadOrCreateDeviceIdentity,
  type NonceStatus,
  type NonceStore,
  signDeviceAuth,
  verifyDeviceProof,
} from "./device-identity";
export { buildDeviceAuthPayload, type DeviceAuthFields } from "./device-payload";
export { type AuthErrorCode, authErrors } from "./errors";
export {
  type ExposureDecision,
  type ExposureRefusal,
  type HostInfo,
  type HostInterfaceAddress,
  type Listener,
  resolveExposure,
} from "./exposure";
export {
  type EnsuredGatewayToken,
  ensureGatewayToken,
  GATEWAY_TOKEN_BYTES,
  type GatewayTokenStoreOptions,
  gatewayTokenPath,
  generateGatewayToken,
  type ResolvedGatewaySecrets,
  type ResolveGatewaySecretsOptions,
  resolveGatewaySecrets,
  rotateGatewayToken,
} from "./gateway-token";
export { detectContainer, readHostInfo } from "./host-info";
export { checkOrigin, compileOriginPolicy, type OriginDecision, type OriginPolicy } from "./origin";
export {
  type AuthRateLimiter,
  type AuthRateLimiterOptions,
  createAuthRateLimiter,
  createMemoryCounterStore,
  type FailureCounterStore,
  type MemoryCounterStoreOptions,
  type RateLimitScope,
  type RateLimitVerdict,
  rateLimitAddressKey,
} from "./rate-limit";
export {
  checkSecret,
  MIN_SECRET_LENGTH,
  PLACEHOLDER_SECRETS,
  type SecretProblem,
  safeEqualSecret,
} from "./secrets";
export {
  buildSecurityHeaders,
  hashInlineScript,
  type SecurityHeadersOptions,
} from "./security-headers";
export {
  createTailscaleLocalApiClient,
  DEFAULT_TAILSCALE_SOCKET,
  type TailscaleIdentity,
  type TailscaleLocalApiOptions,
  type TailscaleWhois,
} from "./tailscale";
