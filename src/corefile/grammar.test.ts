// The lexer and parser skip chevrotain's self-checks at start (they cost ~24 ms): a mistake in a
// token or rule (an unreachable pattern, ambiguous alternatives, left recursion) fails here.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkTokens } from './lexer.ts'
import { checkGrammar } from './parser.ts'

test('the token definitions pass chevrotain\'s validations', () => {
  assert.doesNotThrow(checkTokens)
})

test('the grammar passes chevrotain\'s validations', () => {
  assert.doesNotThrow(checkGrammar)
})
