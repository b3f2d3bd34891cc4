/**
 * The environment a host command starts from: never the gateway's own. Only PATH (the one the exec
 * policy resolved binaries with), HOME, LANG, TERM, TZ, USER and the names the operator lists in
 * `tools.exec.hostEnv` — and of those, none whose value holds a secret the gateway knows (its token
 * or password, the hooks token, a model key or channel secret, any `${VAR}` the config resolved).
 */
const BASE_NAMES = ["HOME", "LANG", "TERM", "TZ", "USER"] as const;
/** Shorter values are not treated as secrets (a 1-character "secret" would drop HOME=/). */
const MIN_SECRET_LENGTH = 6;

export function hostCommandEnv(input: {
  /** The gateway's environment (read by the app, passed in). */
  readonly source: Readonly<Record<string, string | undefined>>;
  /** `tools.exec.hostEnv`. */
  readonly pass: readonly string[];
  /** The PATH the exec allowlist resolved binaries with. */
  readonly path: string;
  readonly secrets: readonly string[];
}): Record<string, string> {
  const secrets = input.secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  const holdsSecret = (value: string) => secrets.some((secret) => value.includes(secret));
  const env: Record<string, string> = { PATH: input.path };
  for (const name of [...BASE_NAMES, ...input.pass]) {
    if (name === "PATH" || Object.hasOwn(env, name)) continue;
    const value = Object.hasOwn(input.source, name) ? input.source[name] : undefined;
    if (value === undefined || holdsSecret(value)) continue;
    env[name] = value;
  }
  return env;
}
