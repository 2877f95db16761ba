// KNOWN BUG: the unary elementwise ops and ssmc.scale have no verifier, so
// they accept dynamic shapes although every other ssmc op refuses them
// ("Every value is a ranked tensor with static shape", SsmcDialect.td).
// Remove the XFAIL line once they give the same diagnostic as the others.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @gelu(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.gelu' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.gelu %x : tensor<?x3xf32>
  return
}

// -----

func.func @silu(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.silu' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.silu %x : tensor<?x3xf32>
  return
}

// -----

func.func @softplus(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.softplus' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.softplus %x : tensor<?x3xf32>
  return
}

// -----

func.func @exp(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.exp' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.exp %x : tensor<?x3xf32>
  return
}

// -----

func.func @neg(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.neg' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.neg %x : tensor<?x3xf32>
  return
}

// -----

func.func @scale(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.scale' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.scale %x by 2.0 : tensor<?x3xf32>
  return
}
