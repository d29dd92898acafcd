// chevrotain, loaded from the one-file bundle its package ships (lib/chevrotain.mjs) instead of
// its entry point (lib/src/api.js), which pulls in some 200 modules and lodash-es: ~20 ms
// instead of ~250 ms at every start (bench: start to first answer). Same package, same API.

type Chevrotain = typeof import('chevrotain')

const bundle = new URL('../chevrotain.mjs', import.meta.resolve('chevrotain'))
const api = (await import(bundle.href)) as Chevrotain

export const {
  createToken, createTokenInstance, CstParser, defaultParserErrorProvider, EOF, Lexer,
} = api
export type {
  CstNode, CustomPatternMatcherFunc, IRecognitionException, IToken, TokenType,
} from 'chevrotain'
