/**
 * `plugins`: which installed npm packages the gateway may load channel adapters from. Off by
 * default; when on, only packages named in `allow` (and not in `deny`) are loaded, from the state
 * dir's `plugins/node_modules` and nowhere else (the gateway app's loader, apps/gateway
 * src/agent/plugins.ts). There are no load paths: a plugin is an installed package, by name.
 */
import * as z from "zod";

export const MAX_PLUGIN_PACKAGES = 32;
/** npm's own limit on a package name. */
export const MAX_PACKAGE_NAME_LENGTH = 214;

/**
 * A package name as npm accepts it for a new package: lower case, `@scope/name` or `name`, URL-safe
 * characters, not starting with `.` or `_`. One `/` at most (after a scope), so never a path or URL.
 */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export function isPackageName(value: string): boolean {
  return value.length <= MAX_PACKAGE_NAME_LENGTH && PACKAGE_NAME.test(value);
}

/**
 * What the operator probably meant by an entry that is not a package name: upper case folded,
 * an `npm:` prefix or a `@version` / `#tag` suffix dropped, the package of a `node_modules/` path.
 */
export function suggestPackageName(value: string): string | undefined {
  let guess = value.trim().toLowerCase().replace(/^npm:/, "");
  const inModules = guess.lastIndexOf("node_modules/");
  if (inModules !== -1) guess = guess.slice(inModules + "node_modules/".length);
  guess = guess.replace(/\/+$/, "").replace(/#.*$/, "");
  const versionAt = guess.indexOf("@", 1);
  if (versionAt !== -1) guess = guess.slice(0, versionAt);
  return guess !== value && isPackageName(guess) ? guess : undefined;
}

const packageNameSchema = z
  .string()
  .min(1)
  .max(MAX_PACKAGE_NAME_LENGTH)
  .superRefine((value, ctx) => {
    if (isPackageName(value)) return;
    const suggestion = suggestPackageName(value);
    ctx.addIssue({
      code: "custom",
      message:
        suggestion === undefined
          ? "not an npm package name: use the name of a package installed with `npm install --prefix <stateDir>/plugins <name>` (lower case, `name` or `@scope/name`; no path, URL or version)"
          : `not an npm package name (did you mean "${suggestion}"?); list installed packages by name only`,
    });
  });

const packageListSchema = z
  .array(packageNameSchema)
  .max(MAX_PLUGIN_PACKAGES)
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    for (const [index, name] of names.entries()) {
      if (seen.has(name)) {
        ctx.addIssue({ code: "custom", path: [index], message: "listed twice; list it once" });
      }
      seen.add(name);
    }
  })
  .default(() => []);

export const pluginsConfigSchema = z
  .strictObject({
    /** Loads nothing unless true. */
    enabled: z.boolean().default(false),
    /** Packages (installed under `<stateDir>/plugins`) the gateway loads channel adapters from. */
    allow: packageListSchema,
    /** Never loaded, even when allowed: deny wins. */
    deny: packageListSchema,
  })
  .prefault({});

export type PluginsConfig = z.output<typeof pluginsConfigSchema>;
