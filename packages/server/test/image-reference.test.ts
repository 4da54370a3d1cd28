import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  IMAGE_REFERENCE_PATTERN,
  DOCUMENTED_MAX_LENGTH,
  imageReferenceProblem,
} from '../src/image-reference.js'

const HEX64 = 'a'.repeat(64)

const VALID = [
  'ubuntu',
  'ubuntu:22.04',
  'workspace-test:latest',
  'library/ubuntu',
  'docker.io/library/ubuntu:22.04',
  'localhost/x',
  'localhost:5000/x',
  'registry.example.com:5000/team/app:v1.2.3',
  '[::1]:5000/x:tag',
  'a.b_c__d---e/f',
  'ubuntu@sha256:' + HEX64,
  'ubuntu:22.04@sha256:' + HEX64,
  'ubuntu@sha384:' + 'b'.repeat(96),
  'ubuntu@sha512:' + '0'.repeat(128),
  'x:_tag',
  'x:' + 'T'.repeat(128),
  // A registry may hold uppercase letters; only the path must be lowercase.
  'Registry.Example.com/x',
  // The engine limits the name it stores: docker.io/library/ + 237 characters is 255.
  'a'.repeat(237),
  'team/' + 'a'.repeat(240),
  'example.com/' + 'a'.repeat(243),
]

/** [reference, a piece of what the problem must say]. */
const INVALID: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Ubuntu', /lowercase/],
  ['library/Ubuntu:1', /lowercase/],
  ['a:b:c', /"a:b" holds a ":"/],
  ['-leading', /"-leading" is not a repository name component/],
  ['trailing-', /not a repository name component/],
  ['a..b', /not a repository name component/],
  ['a___b', /not a repository name component/],
  ['/x', /empty component/],
  ['x//y', /empty component/],
  ['x/', /empty component/],
  ['x:', /tag ""/],
  ['x:-a', /tag "-a"/],
  ['x:.a', /tag ".a"/],
  ['x:' + 'T'.repeat(129), /1 to 128/],
  ['x@sha256:abc', /digest "sha256:abc"/],
  ['x@' + HEX64, /digest/],
  ['x@sha256:' + HEX64 + '@sha256:' + HEX64, /digest/],
  // The engine knows three algorithms, each with its own length, in lowercase hex.
  ['x@md5:' + 'a'.repeat(32), /digest "md5:a+" is not sha256/],
  ['x@sha256:' + 'A'.repeat(64), /digest/],
  ['x@sha256:' + 'a'.repeat(96), /digest/],
  ['x@Q+az:' + 'a'.repeat(64), /digest/],
  ['a'.repeat(238), /256 characters long as the engine stores it \(docker\.io\/library\/…\)/],
  ['team/' + 'a'.repeat(241), /256 characters long as the engine stores it \(docker\.io\/…\)/],
  ['0'.repeat(255), /273 characters long/],
  ['example.com:5000/' + 'a'.repeat(250), /267 characters long/],
  ['bad\u0000name', /control character U\+0000/],
  ['bad\u0001name', /control character U\+0001/],
  ['bad\nname', /control character U\+000A/],
  ['bad\u007fname', /control character U\+007F/],
  ['bad name', /space/],
  [' ubuntu', /space/],
  ['Ünicode', /"Ü" \(U\+00DC\); only ASCII/],
  ['ubuntu:日本', /only ASCII/],
  ['registry:port/x', /"registry:port" holds a ":"/],
]

test('valid image references are accepted', () => {
  for (const reference of VALID) {
    assert.equal(imageReferenceProblem(reference), null, reference)
  }
})

test('invalid image references are refused, saying what is wrong', () => {
  for (const [reference, expected] of INVALID) {
    const problem = imageReferenceProblem(reference)
    assert.ok(problem, `${JSON.stringify(reference)} was accepted`)
    assert.match(problem, expected, JSON.stringify(reference))
  }
})

test('messages show control characters escaped, never raw', () => {
  const problem = imageReferenceProblem('x:a\u0001b')!
  assert.ok(!problem.includes('\u0001'))
})

test('the pattern in the OpenAPI document agrees with the check, within the documented length', () => {
  const pattern = new RegExp(IMAGE_REFERENCE_PATTERN)
  const documented = (reference: string) =>
    reference.length <= DOCUMENTED_MAX_LENGTH && pattern.test(reference)
  const ipv6Registry = (reference: string) => reference.startsWith('[')
  // Valid references within the documented length match (longer ones the document leaves out).
  for (const reference of VALID.filter((r) => !ipv6Registry(r))) {
    if (reference.length <= DOCUMENTED_MAX_LENGTH) assert.ok(documented(reference), reference)
  }
  // Left out of the document on purpose (see IMAGE_REFERENCE_PATTERN), accepted by the server.
  for (const reference of VALID.filter(ipv6Registry)) assert.ok(!documented(reference), reference)
  for (const [reference] of INVALID) assert.ok(!documented(reference), JSON.stringify(reference))
  // Strings the server refuses stay outside what the document allows (schemathesis found LPT1).
  for (const reference of ['LPT1', 'Abc:1', 'x:ÿ']) assert.ok(!pattern.test(reference), reference)
})
