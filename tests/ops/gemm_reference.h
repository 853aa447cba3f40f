// What the GEMM tests share (tests/ops/gemm_test.cc and
// tests/ops/kernels/panel_gemm_test.cc): operands with padded leading
// dimensions and a long double reference with the bound of
// ops/kernels/gemm.h.
//
// Reference: every element of alpha * op(A) op(B) + beta * C is computed in
// long double (64-bit mantissa) from the same float/double inputs, together
// with S = |alpha| * sum_p |a_ip b_pj| + |beta| |c_ij|. The header's bound is
//   |c - exact| <= (k + 2) * eps * S,    eps = numeric_limits<T>::epsilon(),
// the classical worst case of a k-term sum in any order (gamma_k with unit
// roundoff eps / 2 is below k * eps), plus the alpha and beta roundings.
// The long double reference's own error (k * 2^-64 * S) is far below it.
#ifndef OPGRAPH_TESTS_OPS_GEMM_REFERENCE_H_
#define OPGRAPH_TESTS_OPS_GEMM_REFERENCE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace opgraph {
namespace kernels {
namespace testing_reference {

// Values in [-1, 1) from a fixed linear congruential sequence.
template <typename T>
std::vector<T> Random(int64_t n, uint32_t seed) {
  std::vector<T> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (T& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<T>(-1.0 + 2.0 * static_cast<double>(s >> 8) * 0x1p-24);
  }
  return v;
}

// One product's operands, stored with padded leading dimensions (ld = columns
// + 3) so that a wrong stride shows.
template <typename T>
struct Problem {
  bool trans_a, trans_b;
  int64_t m, n, k, lda, ldb, ldc;
  T alpha, beta;
  std::vector<T> a, b, c0;

  Problem(bool ta, bool tb, int64_t m_, int64_t n_, int64_t k_, T alpha_, T beta_)
      : trans_a(ta), trans_b(tb), m(m_), n(n_), k(k_), alpha(alpha_), beta(beta_) {
    lda = (ta ? m : k) + 3;
    ldb = (tb ? k : n) + 3;
    ldc = n + 3;
    a = Random<T>((ta ? k : m) * lda, 1);
    b = Random<T>((tb ? n : k) * ldb, 2);
    c0 = Random<T>(m * ldc, 3);
    // beta == 0 must not read C: NaN there must not reach the result.
    if (beta == T(0)) c0.assign(c0.size(), std::numeric_limits<T>::quiet_NaN());
  }
  T A(int64_t i, int64_t p) const { return trans_a ? a[p * lda + i] : a[i * lda + p]; }
  T B(int64_t p, int64_t j) const { return trans_b ? b[j * ldb + p] : b[p * ldb + j]; }
};

// Checks c against the long double reference and the bound; returns the
// largest |error| / (eps * S) seen, for the failure messages.
template <typename T>
double CheckAgainstReference(const Problem<T>& pr, const std::vector<T>& c,
                             const std::string& what) {
  const long double eps = std::numeric_limits<T>::epsilon();
  double worst = 0;
  for (int64_t i = 0; i < pr.m; ++i) {
    for (int64_t j = 0; j < pr.n; ++j) {
      long double sum = 0, abs_sum = 0;
      for (int64_t p = 0; p < pr.k; ++p) {
        const long double t = static_cast<long double>(pr.A(i, p)) * pr.B(p, j);
        sum += t;
        abs_sum += std::fabs(t);
      }
      long double exact = static_cast<long double>(pr.alpha) * sum;
      long double s = std::fabs(static_cast<long double>(pr.alpha)) * abs_sum;
      if (pr.beta != T(0)) {
        exact += static_cast<long double>(pr.beta) * pr.c0[i * pr.ldc + j];
        s += std::fabs(static_cast<long double>(pr.beta) * pr.c0[i * pr.ldc + j]);
      }
      const long double err = std::fabs(c[i * pr.ldc + j] - exact);
      const long double bound = (pr.k + 2) * eps * s;
      if (s > 0) worst = std::max(worst, static_cast<double>(err / (eps * s)));
      if (!(err <= bound)) {
        ADD_FAILURE() << what << " C(" << i << "," << j << ") = " << c[i * pr.ldc + j] << ", exact "
                      << static_cast<double>(exact) << ", bound " << static_cast<double>(bound);
        return worst;
      }
    }
  }
  // Padding between rows of C is never written.
  for (int64_t i = 0; i < pr.m; ++i) {
    for (int64_t j = pr.n; j < pr.ldc; ++j) {
      const T before = pr.c0[i * pr.ldc + j], after = c[i * pr.ldc + j];
      if (!(before == after || (std::isnan(before) && std::isnan(after)))) {
        ADD_FAILURE() << what << " wrote padding at (" << i << "," << j << ")";
        return worst;
      }
    }
  }
  return worst;
}

}  // namespace testing_reference
}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_OPS_GEMM_REFERENCE_H_
