import { posix } from "node:path";
import {
  BINARY,
  child,
  list,
  nodeType,
  parseShell,
  REDIRECT,
  type ShNode,
  walk,
} from "./shell-parser";

/** Where binaries are looked up: passed in, never read from the process. */
export interface ExecEnvironment {
  /** The PATH directories, in order. Relative entries (``, `.`) are ignored. */
  readonly pathDirs: readonly string[];
  /** Working directory for `./x` and `bin/x`; without it, relative command paths are a miss. */
  readonly cwd?: string;
  /** Whether an absolute path is an executable file. */
  readonly isExecutable: (absolutePath: string) => boolean;
}

export type CommandRole = "binary" | "builtin" | "shell" | "interpreter" | "privilege";

/** One simple command the shell would run, after unwrapping wrappers. */
export interface AnalyzedCommand {
  /** argv[0] as written. */
  readonly name: string;
  /** Absolute path of the binary (undefined for a harmless builtin). */
  readonly resolved: string | undefined;
  readonly role: CommandRole;
  /** Literal arguments (without argv[0]) when every one is a fixed string; undefined otherwise. */
  readonly args: readonly string[] | undefined;
  /** True when this invocation evaluates inline code (`python -c`, `bash -c`, a shell reading stdin). */
  readonly inlineEval: boolean;
  /** True when stdin comes from a file (`< file`) rather than a pipe or here-doc. */
  readonly readsFile: boolean;
  /** The wrappers this command was found inside (`env`, `xargs`, `bash -c` …). */
  readonly via: readonly string[];
}

/** The result of analysing one command line. `understood` false means: a miss, never an allow. */
export interface CommandAnalysis {
  readonly understood: boolean;
  readonly commands: readonly AnalyzedCommand[];
  /** Why the analysis is not understood (empty when understood). */
  readonly problems: readonly string[];
  readonly inlineEval: boolean;
}

const MAX_COMMAND_LENGTH = 64 * 1024;
const MAX_DEPTH = 4;
const MAX_COMMANDS = 256;

/** Characters that make a command line suspicious wherever they appear. */
const HIDDEN_CHARS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
/** A command name we are willing to resolve: plain ASCII path characters only. */
const COMMAND_NAME = /^[A-Za-z0-9._+\-/]+$/;

/** Builtins that change how later commands resolve or run, or that run code themselves. */
const UNSAFE_BUILTINS = new Set([
  ".",
  "source",
  "eval",
  "alias",
  "unalias",
  "builtin",
  "enable",
  "trap",
  "set",
  "shopt",
  "export",
  "declare",
  "typeset",
  "local",
  "readonly",
  "unset",
  "hash",
  "let",
  "read",
  "mapfile",
  "readarray",
  "fc",
  "history",
  "cd",
  "pushd",
  "popd",
  "ulimit",
  "umask",
  "coproc",
  "printf",
  "caller",
  "compgen",
  "complete",
  "bind",
  "disown",
  "jobs",
  "fg",
  "bg",
  "kill",
  "wait",
  "suspend",
  "logout",
  "exit",
  "return",
  "shift",
  "getopts",
]);
/** Builtins with no effect beyond their output. */
const HARMLESS_BUILTINS = new Set(["true", "false", ":", "echo", "pwd", "test", "["]);

const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "ash",
  "fish",
  "csh",
  "tcsh",
  "busybox",
  "rbash",
  "yash",
  "oksh",
  "posh",
]);
const INTERPRETERS =
  /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|irb|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish|rscript|r|julia|pwsh|powershell|osascript|awk|gawk|mawk|nawk|busybox|sed|gsed|ed|ex|vim?|nvim|emacs|expect|jshell|groovy|scala|kotlin|guile|racket|sbcl|clisp|ocaml|swift|gdb|lldb|sqlite3|psql|mysql)$/i;

/** Environment variables that change what runs or how it loads code. */
const DANGEROUS_ENV =
  /^(PATH|EXECIGNORE|BASH_LOADABLES_PATH|BASH_XTRACEFD|BASH_COMPAT|PS[0-4]|IFS|ENV|BASH_ENV|BASH_FUNC_.*|BASHOPTS|SHELLOPTS|PS4|PROMPT_COMMAND|CDPATH|GLOBIGNORE|HOME|SHELL|LD_.*|DYLD_.*|GCONV_PATH|HOSTALIASES|LOCPATH|NLSPATH|RESOLV_HOST_CONF|NODE_OPTIONS|NODE_PATH|PYTHON.*|PERL.*|RUBY.*|GEM_.*|BUNDLE_.*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH|GIT_.*|PAGER|.*_PAGER|EDITOR|VISUAL|LESSOPEN|LESSCLOSE|BROWSER|SSH_ASKPASS|SUDO_ASKPASS|SUDO_EDITOR|TMPDIR|ZDOTDIR|XDG_CONFIG_HOME|INPUTRC|TERMINFO|MAKEFLAGS|NPM_CONFIG_.*|npm_config_.*|DOCKER_HOST|KUBECONFIG)$/;

/**
 * ParamExp operators (syntax.ParExpOperator) that only substitute text: `+ :+ - :- ? :?`,
 * `% %% # ##`, `^ ^^ , ,,`. Assignments (`= :=`) and `@` transformations are refused.
 */
const SAFE_PARAM_OPS = new Set([68, 69, 70, 71, 72, 73, 76, 77, 78, 79, 80, 81, 82, 83]);

interface Literal {
  /** The fixed value, or undefined when the word expands at run time. */
  readonly value: string | undefined;
}

class Analyzer {
  readonly commands: AnalyzedCommand[] = [];
  readonly problems: string[] = [];

  constructor(private readonly env: ExecEnvironment) {}

  miss(problem: string): void {
    if (this.problems.length < 32) this.problems.push(problem);
  }

  script(source: string, depth: number, via: readonly string[]): void {
    if (depth > MAX_DEPTH) {
      this.miss("nested shells too deep");
      return;
    }
    if (source.length > MAX_COMMAND_LENGTH) {
      this.miss("command too long");
      return;
    }
    if (HIDDEN_CHARS.test(source)) {
      this.miss("control or invisible characters in the command");
      return;
    }
    const file = parseShell(source);
    if (!file) {
      this.miss("not valid shell syntax");
      return;
    }
    this.stmts(list(file.Stmts), depth, via);
  }

  stmts(stmts: readonly ShNode[], depth: number, via: readonly string[]): void {
    for (const stmt of stmts) this.stmt(stmt, depth, via);
  }

  stmt(stmt: ShNode, depth: number, via: readonly string[]): void {
    if (stmt.Coprocess === true) {
      this.miss("coprocess");
      return;
    }
    const redirects = this.redirects(list(stmt.Redirs), depth, via);
    const cmd = child(stmt, "Cmd");
    if (!cmd) {
      if (list(stmt.Redirs).length > 0) this.miss("redirection without a command");
      return;
    }
    const type = nodeType(cmd);
    switch (type) {
      case "CallExpr":
        this.call(cmd, depth, via, redirects);
        return;
      case "BinaryCmd": {
        const op = cmd.Op as number;
        if (
          op !== BINARY.AndStmt &&
          op !== BINARY.OrStmt &&
          op !== BINARY.Pipe &&
          op !== BINARY.PipeAll
        ) {
          this.miss("unknown operator");
          return;
        }
        const x = child(cmd, "X");
        const y = child(cmd, "Y");
        if (x) this.stmt(x, depth, via);
        if (y) this.stmt(y, depth, via);
        return;
      }
      case "Subshell":
      case "Block":
        this.stmts(list(cmd.Stmts), depth, via);
        return;
      case "TimeClause": {
        const inner = child(cmd, "Stmt");
        if (inner) this.stmt(inner, depth, [...via, "time"]);
        return;
      }
      case "FuncDecl": {
        this.miss("defines a shell function");
        return;
      }
      default: {
        this.miss(`unsupported shell construct (${type})`);
        return;
      }
    }
  }

  /** Checks redirections; returns whether stdin is read from a file. */
  redirects(
    redirs: readonly ShNode[],
    depth: number,
    via: readonly string[],
  ): { readsFile: boolean } {
    let readsFile = false;
    for (const redir of redirs) {
      const op = redir.Op as number;
      const word = child(redir, "Word");
      const target = word ? this.word(word, depth, via).value : undefined;
      if (target !== undefined && /^\/dev\/(tcp|udp)\//.test(target))
        this.miss("redirection to a network socket (/dev/tcp, /dev/udp)");
      switch (op) {
        case REDIRECT.RdrIn:
          if (target === undefined) this.miss("input redirection from an expanded path");
          readsFile = true;
          break;
        case REDIRECT.DplIn:
        case REDIRECT.DplOut:
          if (target === undefined || !/^([0-9]+-?|-)$/.test(target))
            this.miss("descriptor redirection to something other than a descriptor");
          break;
        case REDIRECT.RdrOut:
        case REDIRECT.AppOut:
        case REDIRECT.ClbOut:
        case REDIRECT.RdrAll:
        case REDIRECT.AppAll:
        case REDIRECT.RdrInOut:
          if (target !== "/dev/null") this.miss("output redirection writes a file");
          break;
        case REDIRECT.Hdoc:
        case REDIRECT.DashHdoc: {
          // A here-document body is never glob- or tilde-expanded: only $-expansions matter.
          const body = child(redir, "Hdoc");
          if (body && list(body.Parts).some((part) => nodeType(part) !== "Lit")) {
            this.miss("here-document with expansions");
            this.nested(body, depth, via);
          }
          break;
        }
        case REDIRECT.WordHdoc:
          if (target === undefined) this.miss("here-string with expansions");
          break;
        default:
          this.miss("unknown redirection");
      }
    }
    return { readsFile };
  }

  call(
    call: ShNode,
    depth: number,
    via: readonly string[],
    redirects: { readsFile: boolean },
  ): void {
    for (const assign of list(call.Assigns)) {
      const name = String((child(assign, "Name")?.Value as string | undefined) ?? "");
      if (child(assign, "Array") || child(assign, "Index")) this.miss("array assignment");
      if (DANGEROUS_ENV.test(name)) this.miss(`assigns ${name}, which changes what runs`);
      const value = child(assign, "Value");
      if (value && this.word(value, depth, via).value === undefined)
        this.miss(`assignment to ${name} expands at run time`);
    }
    const words = list(call.Args).map((w) => this.word(w, depth, via).value);
    if (words.length === 0) return;
    this.argv(words, depth, via, redirects.readsFile);
  }

  /** Evaluates a word to its literal value; nested command substitutions are analysed too. */
  word(word: ShNode, depth: number, via: readonly string[]): Literal {
    let value = "";
    let literal = true;
    const parts = list(word.Parts);
    parts.forEach((part, index) => {
      const type = nodeType(part);
      if (type === "Lit") {
        const text = unquotedLiteral(String(part.Value), index === 0);
        if (text === undefined) literal = false;
        else value += text;
      } else if (type === "SglQuoted") {
        if (part.Dollar === true) literal = false;
        else value += String(part.Value);
      } else if (type === "DblQuoted") {
        if (part.Dollar === true) literal = false;
        for (const inner of list(part.Parts)) {
          if (nodeType(inner) === "Lit") value += doubleQuotedLiteral(String(inner.Value));
          else {
            literal = false;
            this.nested(inner, depth, via);
          }
        }
      } else {
        literal = false;
        this.nested(part, depth, via);
      }
    });
    return { value: literal ? value : undefined };
  }

  /** Finds command and process substitutions inside an expansion and analyses them. */
  nested(node: ShNode, depth: number, via: readonly string[]): void {
    walk(node, (n) => {
      const type = nodeType(n);
      if (type === "CmdSubst" || type === "ProcSubst") {
        this.stmts(list(n.Stmts), depth, [...via, "$(…)"]);
        return false;
      }
      // Arithmetic evaluates variable values as expressions, and `a[$(cmd)]` inside one runs cmd:
      // $((x)), ${a[x]}, ${s:x}, ${!x} and ${x@P} can all execute code hidden in a variable.
      if (type === "ArithmExp") this.miss("arithmetic expansion");
      if (type === "ParamExp") {
        const exp = child(n, "Exp");
        const op = exp ? (exp.Op as number) : undefined;
        if (n.Excl === true) this.miss("indirect parameter expansion");
        else if (child(n, "Index") || child(n, "Slice") || n.Width === true)
          this.miss("parameter expansion with an arithmetic index or slice");
        else if (op !== undefined && !SAFE_PARAM_OPS.has(op))
          this.miss("parameter expansion that assigns or transforms (=, :=, @P …)");
      }
      return true;
    });
  }

  /** One argv (literal words or undefined for expanded ones): resolve and unwrap. */
  argv(
    words: readonly (string | undefined)[],
    depth: number,
    via: readonly string[],
    readsFile: boolean,
    argsExpanded = false,
    execed = false,
  ): void {
    if (this.commands.length >= MAX_COMMANDS) {
      this.miss("too many commands");
      return;
    }
    const name = words[0];
    if (name === undefined) {
      this.miss("the command name is computed at run time");
      return;
    }
    if (name.length === 0 || !COMMAND_NAME.test(name)) {
      this.miss("unusual characters in the command name");
      return;
    }
    const rest = words.slice(1);
    const literalArgs =
      argsExpanded || rest.some((w) => w === undefined) ? undefined : (rest as string[]);

    // A command started by a wrapper (env, xargs, find -exec …) is exec'd: builtins do not apply.
    if (!name.includes("/") && !execed) {
      if (UNSAFE_BUILTINS.has(name)) {
        this.miss(`shell builtin "${name}"`);
        return;
      }
      if (name === "exec" || name === "command") {
        this.wrapperBuiltin(name, words, depth, via, readsFile);
        return;
      }
      // `test -v 'a[$(cmd)]'` evaluates the subscript: test/[ need fixed arguments and no -v/-R.
      if (
        (name === "test" || name === "[") &&
        (literalArgs === undefined || literalArgs.some((a) => a === "-v" || a === "-R"))
      ) {
        this.miss(`${name} with -v/-R or arguments that expand at run time`);
        return;
      }
      if (HARMLESS_BUILTINS.has(name)) {
        this.commands.push({
          name,
          resolved: undefined,
          role: "builtin",
          args: literalArgs,
          inlineEval: false,
          readsFile,
          via,
        });
        return;
      }
    }
    const resolved = this.resolve(name);
    if (resolved === undefined) {
      this.miss(`"${name}" was not found on PATH`);
      return;
    }
    const base = posix.basename(resolved).toLowerCase();
    const baseName = posix.basename(name).toLowerCase();

    const wrapped = this.unwrap(
      base,
      baseName,
      words,
      depth,
      via,
      readsFile,
      resolved,
      literalArgs,
    );
    if (wrapped) return;

    const shell = SHELLS.has(base) || SHELLS.has(baseName);
    const interpreter = !shell && (INTERPRETERS.test(base) || INTERPRETERS.test(baseName));
    let inlineEval = false;
    if (shell || interpreter) inlineEval = runsInlineCode(literalArgs, base);
    this.commands.push({
      name,
      resolved,
      role: shell ? "shell" : interpreter ? "interpreter" : "binary",
      args: literalArgs,
      inlineEval,
      readsFile,
      via,
    });
  }

  wrapperBuiltin(
    name: string,
    words: readonly (string | undefined)[],
    depth: number,
    via: readonly string[],
    readsFile: boolean,
  ): void {
    let i = 1;
    while (i < words.length) {
      const w = words[i];
      if (w === undefined) {
        this.miss(`${name} with expanded options`);
        return;
      }
      if (w === "--") {
        i += 1;
        break;
      }
      if (!w.startsWith("-")) break;
      if (name === "command" && (w === "-v" || w === "-V")) return; // a lookup, runs nothing
      if (name === "command" && w === "-p") {
        i += 1;
        continue;
      }
      if (name === "exec" && (w === "-c" || w === "-l")) {
        i += 1;
        continue;
      }
      this.miss(`${name} ${w}`);
      return;
    }
    if (i >= words.length) {
      this.miss(`${name} without a command`);
      return;
    }
    this.argv(words.slice(i), depth, [...via, name], readsFile, false, name === "exec");
  }

  resolve(name: string): string | undefined {
    if (name.includes("/")) {
      let absolute: string;
      if (name.startsWith("/")) absolute = posix.normalize(name);
      else if (this.env.cwd?.startsWith("/")) absolute = posix.resolve(this.env.cwd, name);
      else return undefined;
      return this.env.isExecutable(absolute) ? absolute : undefined;
    }
    for (const dir of this.env.pathDirs) {
      if (!dir.startsWith("/")) continue;
      const candidate = posix.join(dir, name);
      if (this.env.isExecutable(candidate)) return candidate;
    }
    return undefined;
  }

  /** Handles wrappers whose real command is in their arguments. Returns true when handled. */
  unwrap(
    base: string,
    baseName: string,
    words: readonly (string | undefined)[],
    depth: number,
    via: readonly string[],
    readsFile: boolean,
    resolved: string,
    literalArgs: readonly string[] | undefined,
  ): boolean {
    const is = (n: string) => base === n || baseName === n;
    const inner = (from: number, wrapper: string, expanded = false) => {
      if (from >= words.length) return false;
      this.argv(words.slice(from), depth, [...via, wrapper], readsFile, expanded, true);
      return true;
    };
    const needLiteral = (wrapper: string): readonly string[] | undefined => {
      if (literalArgs === undefined) this.miss(`${wrapper} with arguments that expand at run time`);
      return literalArgs;
    };
    if (is("env")) {
      const args = needLiteral("env");
      if (!args) return true;
      let i = 0;
      while (i < args.length) {
        const a = args[i] as string;
        if (a === "-i" || a === "--ignore-environment" || a === "-" || a === "-0" || a === "--null")
          i += 1;
        else if (a === "-u" || a === "--unset") i += 2;
        else if (a.startsWith("--unset=")) i += 1;
        else if (a === "--") {
          i += 1;
          break;
        } else if (a.startsWith("-")) {
          this.miss(`env option ${a}`);
          return true;
        } else break;
      }
      while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i] as string)) {
        const varName = (args[i] as string).split("=")[0] as string;
        if (DANGEROUS_ENV.test(varName)) this.miss(`env sets ${varName}, which changes what runs`);
        i += 1;
      }
      if (i >= args.length) return false; // plain `env`: prints the environment
      return inner(i + 1, "env");
    }
    if (is("nice")) {
      const args = needLiteral("nice");
      if (!args) return true;
      let i = 0;
      if (args[0] === "-n") i = 2;
      else if (args[0] && (/^-[0-9]+$/.test(args[0]) || args[0].startsWith("--adjustment="))) i = 1;
      if (i >= args.length) return false;
      return inner(i + 1, "nice");
    }
    if (is("nohup")) {
      const args = needLiteral("nohup");
      if (!args) return true;
      const i = args[0] === "--" ? 1 : 0;
      return args.length > i ? inner(i + 1, "nohup") : false;
    }
    if (is("timeout")) {
      const args = needLiteral("timeout");
      if (!args) return true;
      let i = 0;
      while (i < args.length && (args[i] as string).startsWith("-")) {
        const a = args[i] as string;
        if (a === "-s" || a === "-k" || a === "--signal" || a === "--kill-after") i += 2;
        else if (
          /^--(signal|kill-after)=/.test(a) ||
          a === "--preserve-status" ||
          a === "--foreground" ||
          a === "-v" ||
          a === "--verbose"
        )
          i += 1;
        else if (a === "--") {
          i += 1;
          break;
        } else {
          this.miss(`timeout option ${a}`);
          return true;
        }
      }
      i += 1; // the duration
      if (i >= args.length) return false;
      return inner(i + 1, "timeout");
    }
    if (is("stdbuf")) {
      const args = needLiteral("stdbuf");
      if (!args) return true;
      let i = 0;
      while (i < args.length && /^-[ioe]/.test(args[i] as string))
        i += (args[i] as string).length === 2 ? 2 : 1;
      return args.length > i ? inner(i + 1, "stdbuf") : false;
    }
    if (is("xargs")) {
      const args = needLiteral("xargs");
      if (!args) return true;
      let i = 0;
      const withValue = new Set([
        "-I",
        "-L",
        "-n",
        "-P",
        "-s",
        "-d",
        "-E",
        "-a",
        "--arg-file",
        "--delimiter",
        "--max-args",
        "--max-procs",
        "--max-lines",
        "--max-chars",
        "--eof",
        "--replace",
      ]);
      const flags = new Set([
        "-0",
        "-r",
        "-t",
        "-x",
        "--null",
        "--no-run-if-empty",
        "--verbose",
        "--exit",
      ]);
      while (i < args.length && (args[i] as string).startsWith("-")) {
        const a = args[i] as string;
        if (a === "--") {
          i += 1;
          break;
        }
        if (withValue.has(a)) i += 2;
        else if (flags.has(a) || /^-[ILnPsdEa].+/.test(a) || /^--[a-z-]+=/.test(a)) i += 1;
        else {
          this.miss(`xargs option ${a} (e.g. -p/-o change how it runs)`);
          return true;
        }
      }
      // xargs appends input-derived arguments, so the inner command's arguments are unknown.
      if (i >= args.length) {
        this.argv(["echo", undefined], depth, [...via, "xargs"], readsFile, true, true);
        return true;
      }
      return inner(i + 1, "xargs", true);
    }
    if (
      is("sudo") ||
      is("doas") ||
      is("su") ||
      is("pkexec") ||
      is("run0") ||
      is("chroot") ||
      is("setsid") ||
      is("unshare") ||
      is("nsenter") ||
      is("flock") ||
      is("script") ||
      is("watch") ||
      is("strace") ||
      is("ltrace") ||
      is("gdb") ||
      is("valgrind") ||
      is("taskset") ||
      is("ionice") ||
      is("chrt") ||
      is("systemd-run") ||
      is("ssh") ||
      is("parallel") ||
      is("time") ||
      is("caffeinate") ||
      is("firejail") ||
      is("bwrap")
    ) {
      if (is("sudo") || is("doas")) {
        const args = needLiteral(base);
        if (!args) return true;
        let i = 0;
        while (i < args.length && (args[i] as string).startsWith("-")) {
          const a = args[i] as string;
          if (a === "--") {
            i += 1;
            break;
          }
          if (a === "-u" || a === "-g") i += 2;
          else if (a === "-n" || a === "-H" || a === "-k") i += 1;
          else {
            this.miss(`${base} option ${a}`);
            return true;
          }
        }
        // The privilege wrapper itself must be allowlisted, and so must the command it runs.
        this.commands.push({
          name: words[0] as string,
          resolved,
          role: "privilege",
          args: literalArgs,
          inlineEval: false,
          readsFile,
          via,
        });
        if (i >= args.length) {
          this.miss(`${base} without a command`);
          return true;
        }
        return inner(i + 1, base);
      }
      this.miss(`"${baseName}" runs another command in a way the analyzer does not follow`);
      return true;
    }
    if (is("find")) {
      const args = literalArgs;
      if (!args) {
        this.miss("find with arguments that expand at run time");
        return true;
      }
      this.commands.push({
        name: words[0] as string,
        resolved,
        role: "binary",
        args,
        inlineEval: false,
        readsFile,
        via,
      });
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as string;
        if (a === "-exec" || a === "-execdir" || a === "-ok" || a === "-okdir") {
          let end = i + 1;
          while (end < args.length && args[end] !== ";" && args[end] !== "+") end += 1;
          if (end >= args.length || end === i + 1) {
            this.miss(`find ${a} without a terminated command`);
            return true;
          }
          this.argv(args.slice(i + 1, end), depth, [...via, `find ${a}`], false, true, true);
          i = end;
        } else if (a === "-fprint" || a === "-fprintf" || a === "-fprint0" || a === "-fls") {
          this.miss(`find ${a} writes a file`);
        }
      }
      return true;
    }
    if (SHELLS.has(base) || SHELLS.has(baseName)) {
      const args = literalArgs;
      if (!args) return false;
      let script: string | undefined;
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as string;
        if (a === "--") break;
        if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) {
          script = args[i + 1];
          break;
        }
        if (!a.startsWith("-") && !a.startsWith("+")) break;
      }
      if (script === undefined) return false;
      this.commands.push({
        name: words[0] as string,
        resolved,
        role: "shell",
        args,
        inlineEval: true,
        readsFile,
        via,
      });
      this.script(script, depth + 1, [...via, `${baseName} -c`]);
      return true;
    }
    return false;
  }
}

/**
 * Decodes an unquoted literal, or returns undefined when the shell would expand it: globs, brace
 * expansion, a leading `~`.
 */
function unquotedLiteral(raw: string, first: boolean): string | undefined {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "\\") {
      const next = raw[i + 1];
      if (next === undefined) return undefined;
      if (next !== "\n") out += next;
      i += 1;
      continue;
    }
    if (ch === "*" || ch === "?" || ch === "[") return undefined;
    if (ch === "~" && first && i === 0) return undefined;
    if (ch === "{" && hasBraceExpansion(raw, i)) return undefined;
    out += ch;
  }
  return out;
}

function hasBraceExpansion(raw: string, open: number): boolean {
  let depth = 0;
  for (let i = open; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === "\\") {
      i += 1;
      continue;
    }
    if (ch === "{") depth += 1;
    else if (ch === "}") {
      depth -= 1;
      if (depth === 0) {
        const inner = raw.slice(open + 1, i);
        return inner.includes(",") || inner.includes("..");
      }
    }
  }
  return false;
}

function doubleQuotedLiteral(raw: string): string {
  return raw.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === "\n" ? "" : c));
}

/**
 * Whether a shell or interpreter invocation runs code that is not a file on disk: an eval flag,
 * code from stdin, or anything we cannot classify. Only `interp [-flag…] script.ext [args]` is not.
 */
function runsInlineCode(args: readonly string[] | undefined, base: string): boolean {
  if (args === undefined) return true;
  if (/^(awk|gawk|mawk|nawk|sed|gsed|ed|ex|expect|osascript|busybox)$/.test(base)) return true;
  for (const arg of args) {
    if (arg === "-" || arg === "--") return true;
    if (!arg.startsWith("-")) return false;
    // Any option could be an eval flag in some interpreter (-c, -e, -E, -r, -p, --eval, -m …).
    if (!/^-(u|B|O|OO|q|w|W|v|S|I|x|X[a-z_]+|-no-warnings|-norc|-noprofile|-login|l)$/.test(arg))
      return true;
  }
  return true;
}

/** True for a path whose basename is a shell, an interpreter or a privilege wrapper. */
export function isInterpreterPath(path: string): boolean {
  const base = posix.basename(path).toLowerCase();
  return (
    SHELLS.has(base) ||
    INTERPRETERS.test(base) ||
    /^(sudo|doas|su|pkexec|run0|env|xargs|find|nice|timeout|nohup|stdbuf|time|watch|setsid|ssh|chroot|unshare|nsenter|flock|script|strace|ltrace|valgrind|taskset|ionice|chrt|systemd-run|parallel|firejail|bwrap)$/.test(
      base,
    )
  );
}

/** Analyses a command line for the `allowlist` exec mode. Never throws on bad input. */
export function analyzeCommand(command: string, env: ExecEnvironment): CommandAnalysis {
  const analyzer = new Analyzer(env);
  if (command.trim().length === 0) analyzer.miss("empty command");
  else analyzer.script(command, 0, []);
  const inlineEval = analyzer.commands.some((c) => c.inlineEval);
  return {
    understood: analyzer.problems.length === 0,
    commands: analyzer.commands,
    problems: analyzer.problems,
    inlineEval,
  };
}
