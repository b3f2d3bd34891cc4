// Minimal typings for the parts of mvdan-sh (GopherJS build of mvdan.cc/sh/v3/syntax) we use.
declare module "mvdan-sh" {
  export interface ShNode {
    readonly [key: string]: unknown;
  }
  export interface ShParser {
    Parse(src: string, name: string): ShNode;
  }
  export interface ShSyntax {
    NewParser(...options: unknown[]): ShParser;
    NodeType(node: ShNode): string;
    Walk(node: ShNode, fn: (node: ShNode | null) => boolean): void;
  }
  const sh: { readonly syntax: ShSyntax };
  export default sh;
}
