import { compileToolPolicy } from "./policy"; export const z = compileToolPolicy;
