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

// Mean cross-entropy of softmax(logits) against integer labels, computed
// stably (log-sum-exp with the row maximum subtracted). When dlogits is not
// null it receives the gradient of the mean loss: (softmax - onehot) / batch.
// labels must be in [0, classes). correct (if not null) counts argmax hits.
double f32_softmax_cross_entropy(float* dlogits, const float* logits, const std::int32_t* labels, i64 batch,
                                 i64 classes, i64* correct);

}  // namespace pk
