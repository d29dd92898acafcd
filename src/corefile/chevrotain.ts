// chevrotain, loaded from the one-file bundle its package ships (lib/chevrotain.mjs) instead of
// its entry point (lib/src/api.js), which pulls in some 200 modules and lodash-es: 14-19 ms
// instead of 200-270 ms at every unbundled start (each test's tsdns, `node src/cli/main.ts`).
// The production bundle (src/cli/bundle.ts) swaps this file for the public entry; the test
// beside it fails if the two ever differ.

type Chevrotain = typeof import('chevrotain')

const bundle = new URL('../chevrotain.mjs', import.meta.resolve('chevrotain'))
const api = (await import(bundle.href)) as Chevrotain

export const {
  createToken, createTokenInstance, CstParser, defaultParserErrorProvider, EOF, Lexer,
} = api
export type {
  CstNode, CustomPatternMatcherFunc, IRecognitionException, IToken, TokenType,
} from 'chevrotain'
