// Elementwise and row-wise kernels of a network's forward and backward pass:
// bias, activations, and the fused softmax + cross-entropy loss.
#pragma once

#include "common.h"

namespace pk {

enum class Activation { relu = 0, tanh = 1, sigmoid = 2 };

// y (rows, cols) += bias (cols) on every row.
void f32_bias_add(float* y, const float* bias, i64 rows, i64 cols);
// db (cols) = sum over rows of dy (rows, cols).
void f32_bias_grad(float* db, const float* dy, i64 rows, i64 cols);

// y = f(x), elementwise; y may be x (in place).
void f32_activation_forward(float* y, const float* x, i64 n, Activation f);
// dx = dy * f'(x), written from the forward output y; dx may be dy.
void f32_activation_backward(float* dx, const float* dy, const float* y, i64 n, Activation f);

// Inverted dropout with a counter-based generator: element i is kept when
// the 64-bit hash of (seed, offset + i) puts it above p, so a mask depends
// only on the seed and the element's position in the layer's stream, never
// on the thread count. y = x * keep / (1 - p), a multiply as in PyTorch: a
// dropped NaN or infinity gives NaN, not 0. keep receives 1 or 0. y may be
// x (in place). Requires 0 <= p < 1.
void f32_dropout_forward(float* y, std::uint8_t* keep, const float* x, i64 n, double p, std::uint64_t seed,
                         std::uint64_t offset);
// dx = dy * keep / (1 - p), keep as written by the forward (nonzero keeps;
// a dropped NaN or infinity in dy gives NaN); dx may be dy.
void f32_dropout_backward(float* dx, const float* dy, const std::uint8_t* keep, i64 n, double p);

// Mean cross-entropy of softmax(logits) against integer labels, computed
// stably (log-sum-exp with the row maximum subtracted). When dlogits is not
// null it receives the gradient of the mean loss: (softmax - onehot) / batch.
// labels must be in [0, classes). correct (if not null) counts argmax hits.
double f32_softmax_cross_entropy(float* dlogits, const float* logits, const std::int32_t* labels, i64 batch,
                                 i64 classes, i64* correct);

}  // namespace pk
