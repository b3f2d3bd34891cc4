import { clawProject } from "../../tooling/vitest/project.ts";

export default clawProject(import.meta.dirname);
